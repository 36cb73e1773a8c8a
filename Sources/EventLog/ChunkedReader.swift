/// Reads a file through a large buffer so that walking many small batches costs few system calls.
struct ChunkedReader {
    /// Reads start small (a point lookup reads little) and grow while the reader walks on.
    static let firstChunk = 64 << 10
    static let largestChunk = 1 << 20

    let file: LogFile
    /// Bytes at or past this offset are never read (the durable end of the segment).
    var limit: Int64
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0
    private var bufferCount = 0
    private var chunk = Self.firstChunk

    init(file: LogFile, limit: Int64) {
        self.file = file
        self.limit = limit
    }

    /// Calls `body` with the bytes in `[offset, offset + count)`, cut short at `limit` or the end of the file.
    mutating func withBytes<R>(
        at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let wanted = Int(max(0, min(Int64(count), limit - offset)))
        if offset < bufferStart || offset + Int64(wanted) > bufferStart + Int64(bufferCount) {
            let size = Int(min(Int64(max(wanted, chunk)), max(0, limit - offset)))
            chunk = min(chunk * 4, Self.largestChunk)
            if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
            let file = self.file
            bufferCount = try buffer.withUnsafeMutableBytes { raw throws in
                try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<size]))
            }
            bufferStart = offset
        }
        let start = Int(offset - bufferStart)
        let available = max(0, min(wanted, bufferCount - start))
        return try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + available])) }
    }

    /// Reads, verifies and (if `visit` is given) decodes the batch at `offset`.
    mutating func batch(
        at offset: Int64, expectedPosition: UInt64?, dictionary: [UInt8], scratch: inout [UInt8],
        visit: ((RecordView) throws -> Void)?
    ) throws -> Result<BatchHeader, RecordBatch.Failure> {
        let header = try withBytes(at: offset, count: BatchHeader.length) { BatchHeader.decode($0) }
        guard case .success(let parsed) = header else {
            return header.mapError { .header($0) }
        }
        return try withBytes(at: offset, count: parsed.totalLength) { bytes in
            guard let visit else { return RecordBatch.verify(bytes, expectedPosition: expectedPosition) }
            return try RecordBatch.decode(
                bytes, expectedPosition: expectedPosition, dictionary: dictionary, scratch: &scratch, visit: visit)
        }
    }
}
