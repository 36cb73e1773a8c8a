import Foundation

/// What a walk over one segment file found: where its valid batches end and why the walk stopped.
struct SegmentScan: Sendable {
    /// Where and why the walk stopped before the end of the file.
    struct Stop: Sendable, Equatable {
        var offset: Int64
        var reason: String
        /// A valid batch lies after the bad one, so this is damage inside the segment, not a torn tail.
        var validBatchFollows: Bool
    }

    var header: SegmentHeader
    var index: SegmentIndex
    var fileSize: Int64
    /// The byte offset just past the last valid batch.
    var endOffset: Int64
    /// The position after the last valid record.
    var endPosition: UInt64
    var batchCount = 0
    var minTimestamp: Int64?
    var maxTimestamp: Int64?
    var stop: Stop?

    /// Walks `file` from its header to its end, checking every batch's CRC and position.
    ///
    /// With `visit`, every batch is also decompressed and its records visited. Index entries are placed
    /// by the same rule the writer uses, so a rebuilt index equals the one written alongside the batches.
    /// Starts at the header's end, or at `start` (a batch boundary) with `lastIndexed` the offset of the last
    /// index entry before it; then the index holds only entries for batches from `start` on.
    static func scan(
        _ file: LogFile, header: SegmentHeader, indexInterval: Int64,
        from start: SegmentIndex.Entry? = nil, lastIndexed: Int64? = nil,
        visit: ((RecordView) throws -> Void)? = nil
    ) throws -> SegmentScan {
        let size = try file.size()
        var scan = SegmentScan(
            header: header, index: SegmentIndex(), fileSize: size, endOffset: start?.offset ?? Int64(header.length),
            endPosition: start?.position ?? header.basePosition)
        var reader = ChunkedReader(file: file, limit: size)
        var scratch: [UInt8] = []
        var lastIndexed = lastIndexed
        while scan.endOffset < size {
            let result = try reader.batch(
                at: scan.endOffset, expectedPosition: scan.endPosition, dictionary: header.dictionary,
                scratch: &scratch, visit: visit)
            switch result {
            case .failure(let failure):
                let follows = try validBatch(in: &reader, after: scan.endOffset, from: scan.endPosition)
                scan.stop = Stop(offset: scan.endOffset, reason: failure.description, validBatchFollows: follows)
                return scan
            case .success(let batch):
                if lastIndexed.map({ scan.endOffset - $0 >= indexInterval }) ?? true {
                    scan.index.append(.init(position: batch.firstPosition, offset: scan.endOffset))
                    lastIndexed = scan.endOffset
                }
                scan.endOffset += Int64(batch.totalLength)
                scan.endPosition = batch.endPosition
                scan.batchCount += 1
                scan.minTimestamp = min(scan.minTimestamp ?? batch.minTimestamp, batch.minTimestamp)
                scan.maxTimestamp = max(scan.maxTimestamp ?? batch.maxTimestamp, batch.maxTimestamp)
            }
        }
        return scan
    }

    /// Whether any byte offset after `offset` starts a batch that verifies and continues the log from
    /// `position` or later: the writer only ever tears the last batch, so such a batch means damage.
    private static func validBatch(in reader: inout ChunkedReader, after offset: Int64, from position: UInt64) throws -> Bool {
        let magic = withUnsafeBytes(of: BatchHeader.magic.littleEndian) { Array($0) }
        let start = offset + 1
        let remaining = Int(reader.limit - start)
        guard remaining >= BatchHeader.length else { return false }
        return try reader.withBytes(at: start, count: remaining) { bytes in
            var index = 0
            while index + BatchHeader.length <= bytes.count {
                if bytes[index] == magic[0], bytes[index + 1] == magic[1], bytes[index + 2] == magic[2],
                   bytes[index + 3] == magic[3],
                   case .success(let header) = RecordBatch.verify(
                       UnsafeRawBufferPointer(rebasing: bytes[index...]), expectedPosition: nil),
                   header.firstPosition >= position {
                    return true
                }
                index += 1
            }
            return false
        }
    }
}
