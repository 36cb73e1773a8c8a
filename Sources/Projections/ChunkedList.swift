/// An append-only list whose copies share their elements in fixed-size chunks.
///
/// Projections publish a copy of their state many times a second, and the next append to an `Array` held in
/// that state copies every element. Here it copies only the chunk references and the last, partly filled
/// chunk, so a list that keeps growing (a voter's history) costs the same to publish however long it is.
public struct ChunkedList<Element>: RandomAccessCollection {
    private static var chunkShift: Int { 8 }
    private static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[Element]] = []
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "index \(position) out of 0..<\(count)")
        return chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)]
    }

    public mutating func append(_ element: Element) {
        if let last = chunks.indices.last, chunks[last].count < Self.chunkSize {
            chunks[last].append(element)
        } else {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunk.append(element)
            chunks.append(chunk)
        }
        count += 1
    }
}

extension ChunkedList: Sendable where Element: Sendable {}

extension ChunkedList: Equatable where Element: Equatable {
    public static func == (lhs: ChunkedList, rhs: ChunkedList) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
