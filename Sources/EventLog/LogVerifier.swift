import Foundation

/// The result of checking every batch of a log without changing anything.
public struct VerificationReport: Sendable {
    /// One segment's findings.
    public struct Segment: Sendable {
        public var path: String
        public var basePosition: UInt64
        /// The position after the last valid record.
        public var endPosition: UInt64
        public var batches: Int
        public var bytes: Int64
        public var minTimestamp: Int64?
        public var maxTimestamp: Int64?
        /// Damage that loses acknowledged records: where and why.
        public var damage: EventLogError?
        /// Bytes after the last valid batch of the last segment that the next read-write open will cut off:
        /// a batch that was never acknowledged.
        public var tornTailBytes: Int64
        /// Whether the `.idx` file matches the segment (a stale index is rebuilt on open, so it is no damage).
        public var indexMatches: Bool
    }

    public var directory: String
    public var segments: [Segment]

    /// No damage anywhere (a torn, unacknowledged tail is not damage).
    public var isHealthy: Bool { segments.allSatisfy { $0.damage == nil } }
    public var recordCount: UInt64 { (segments.last?.endPosition ?? 0) - (segments.first?.basePosition ?? 0) }
}

extension EventLog {
    /// Checks every segment header, batch CRC, LZ4 block and record framing, and the indexes, in place.
    /// `progress` hears the bytes checked and the bytes in all after each segment.
    public static func verify(
        directory: String, configuration: Configuration = Configuration(), progress: (_ checked: Int64, _ total: Int64) -> Void = { _, _ in }
    ) throws -> VerificationReport {
        let files = try LogOpener.segmentFiles(in: directory)
        guard !files.isEmpty else { throw EventLogError(.notALog, "the directory holds no segments", file: directory) }
        var report = VerificationReport(directory: directory, segments: [])
        var expectedBase: UInt64 = 0
        let total = files.reduce(Int64(0)) { sum, entry in
            sum + ((try? FileManager.default.attributesOfItem(atPath: entry.path)[.size] as? Int64) ?? 0)
        }
        var checked: Int64 = 0
        for (number, entry) in files.enumerated() {
            defer { progress(checked, total) }
            let file = try LogFile(path: entry.path, mode: .readOnly)
            var segment = VerificationReport.Segment(
                path: entry.path, basePosition: entry.base, endPosition: entry.base, batches: 0,
                bytes: try file.size(), damage: nil, tornTailBytes: 0, indexMatches: false)
            switch try SegmentHeader.read(from: file) {
            case .failure(let problem):
                segment.damage = EventLogError(.corrupt, problem.description, file: entry.path, offset: 0)
            case .success(let header):
                if header.basePosition != entry.base || header.basePosition != expectedBase {
                    segment.damage = EventLogError(
                        .corrupt, "segment starts at position \(header.basePosition), expected \(expectedBase)",
                        file: entry.path, offset: 0)
                }
                let scan = try SegmentScan.scan(
                    file, header: header, indexInterval: configuration.indexInterval, visit: { _ in })
                segment.endPosition = scan.endPosition
                segment.batches = scan.batchCount
                segment.minTimestamp = scan.minTimestamp
                segment.maxTimestamp = scan.maxTimestamp
                if let stop = scan.stop {
                    if number == files.count - 1, !stop.validBatchFollows {
                        segment.tornTailBytes = scan.fileSize - stop.offset
                    } else if segment.damage == nil {
                        segment.damage = EventLogError(.corrupt, stop.reason, file: entry.path, offset: stop.offset)
                    }
                }
                segment.indexMatches = SegmentIndex.load(SegmentAppender.indexPath(entry.path)) == scan.index
                expectedBase = scan.endPosition
            }
            report.segments.append(segment)
            checked += segment.bytes
        }
        return report
    }
}
