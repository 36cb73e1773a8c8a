import Foundation
import Testing
import TestSupport

@testable import EventLog

/// The committed log under `Golden/` was written by format version 1 (three segments; batches stored raw,
/// as LZ4, and as LZ4 with a segment dictionary). It must keep decoding to exactly the records beside it.
@Suite struct GoldenSegmentTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// `records.txt`: one line per record, `POSITION ID TIMESTAMP-MS PAYLOAD-BASE64`.
    static func expected() throws -> [StoredRecord] {
        try String(contentsOf: golden.appendingPathComponent("records.txt"), encoding: .utf8)
            .split(separator: "\n").map { line in
                let fields = line.split(separator: " ")
                return StoredRecord(
                    position: UInt64(fields[0])!,
                    record: LogRecord(
                        id: UUID(uuidString: String(fields[1]))!, timestamp: Int64(fields[2])!,
                        payload: Array(Data(base64Encoded: String(fields[3]))!)))
            }
    }

    @Test func goldenLogDecodesToTheRecordedRecords() throws {
        let expected = try Self.expected()
        #expect(expected.count == 83)
        let log = try EventLog(directory: Self.golden.appendingPathComponent("log").path, mode: .readOnly)
        #expect(log.damage == nil)
        #expect(log.segments.map(\.basePosition) == [0, 38, 65])
        #expect(try log.read(from: 0) == expected)
        #expect(try log.read(from: 70, limit: 3) == Array(expected[70..<73]))
    }

    @Test func goldenLogUsesEveryCodec() throws {
        var codecs = Set<BatchHeader.Codec>()
        for segment in try LogOpener.segmentFiles(in: Self.golden.appendingPathComponent("log").path) {
            let bytes = try LogFile(path: segment.path, mode: .readOnly).read(at: 0, count: 1 << 20)
            try bytes.withUnsafeBytes { raw in
                var offset = try SegmentHeader.decode(raw).get().length
                while offset < raw.count {
                    let header = try RecordBatch.verify(UnsafeRawBufferPointer(rebasing: raw[offset...]), expectedPosition: nil).get()
                    codecs.insert(header.codec)
                    offset += header.totalLength
                }
            }
        }
        #expect(codecs == [.none, .lz4, .lz4WithSegmentDictionary])
    }

    @Test func goldenLogReopensForWritingAndContinues() async throws {
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.removeItem(atPath: copy.path)
        try TemporaryDirectory.copy(Self.golden.appendingPathComponent("log").path, to: copy.path)
        let log = try EventLog(directory: copy.path)
        #expect(log.recovery == EventLog.Recovery())
        let expected = try Self.expected()
        #expect(try await log.append(expected[5].record) == 5)
        #expect(try await log.append(RecordBuilder.records(1, seed: 77)[0]) == 83)
        try await log.close()
    }
}
