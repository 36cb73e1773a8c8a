@testable import Projections
import Testing

@Suite struct ChunkedListTests {
    @Test func keepsEveryElementInOrderAcrossChunks() {
        var list = ChunkedList<Int>()
        #expect(list.isEmpty)
        for value in 0..<1_000 { list.append(value * 3) }
        #expect(list.count == 1_000)
        #expect(Array(list) == (0..<1_000).map { $0 * 3 })
        #expect(list[255] == 765 && list[256] == 768 && list.last == 2_997)
        #expect(Array(list.reversed().prefix(2)) == [2_997, 2_994])
    }

    @Test func aCopyKeepsItsElementsWhileTheOriginalGrows() {
        var list = ChunkedList<Int>()
        for value in 0..<300 { list.append(value) }
        let published = list
        for value in 300..<600 { list.append(value) }
        var other = published
        other.append(-1)
        #expect(Array(published) == Array(0..<300))
        #expect(Array(list) == Array(0..<600))
        #expect(Array(other) == Array(0..<300) + [-1])
        #expect(published != list && published == ChunkedList(Array(0..<300)))
    }
}

extension ChunkedList {
    init(_ elements: [Element]) {
        self.init()
        for element in elements { append(element) }
    }
}
