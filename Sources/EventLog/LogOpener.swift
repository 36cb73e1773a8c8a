import Foundation

/// Finds the segments of a log directory, checks them and decides what recovery does.
struct LogOpener {
    let directory: String
    let configuration: EventLog.Configuration
    let mode: EventLog.Mode

    struct Opened {
        var segments: [LogState.Segment] = []
        var positions: [UUID: UInt64] = [:]
        var damage: EventLogError?
        var recovery = EventLog.Recovery()
        var lock: LogFile?
    }

    static let lockFileName = "LOCK"

    /// Segment files in `directory`, by base position, ascending.
    static func segmentFiles(in directory: String) throws -> [(base: UInt64, path: String)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw EventLogError(.notALog, "cannot list the log directory: \(error.localizedDescription)", file: directory)
        }
        return names.compactMap { name -> (UInt64, String)? in
            guard name.count == 24, name.hasSuffix(".log"), let base = UInt64(name.prefix(20)) else { return nil }
            return (base, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    func open() throws -> Opened {
        var opened = Opened()
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if mode == .readOnly {
            guard exists, isDirectory.boolValue else {
                throw EventLogError(.notALog, "no log directory here", file: directory)
            }
        } else if !exists {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw EventLogError(.io, "cannot create the log directory: \(error.localizedDescription)", file: directory)
            }
        }
        if mode == .readWrite {
            let lockPath = directory + "/" + Self.lockFileName
            let lock = try (try? LogFile(path: lockPath, mode: .readWrite)) ?? LogFile(path: lockPath, mode: .createNew)
            try lock.lockExclusively()
            opened.lock = lock
        }
        var files = try Self.segmentFiles(in: directory)
        if files.isEmpty {
            guard mode == .readWrite else { throw EventLogError(.notALog, "the directory holds no segments", file: directory) }
            opened.segments = [try SegmentAppender.createSegment(
                directory: directory, header: SegmentHeader(basePosition: 0, dictionary: []))]
            return opened
        }
        if let last = files.last, try isInterruptedCreation(last.path),
           case let plan = RecoveryPlan.interruptedLastSegment(writable: mode == .readWrite, segments: files.count), plan.skip {
            if plan.remove {
                unlink(last.path)
                unlink(SegmentAppender.indexPath(last.path))
                try LogFile.syncDirectory(directory)
                opened.recovery.removedSegments.append(last.path)
            }
            files.removeLast()
            if files.isEmpty {
                opened.segments = [try SegmentAppender.createSegment(
                    directory: directory, header: SegmentHeader(basePosition: 0, dictionary: []))]
                return opened
            }
        }
        for (number, entry) in files.enumerated() {
            let isLast = number == files.count - 1
            guard try openSegment(entry, isLast: isLast, into: &opened) else { break }
        }
        return opened
    }

    /// A last segment shorter than its header: the writer died between creating it and syncing the header,
    /// so it holds nothing that was ever acknowledged.
    private func isInterruptedCreation(_ path: String) throws -> Bool {
        try SegmentHeader.read(from: LogFile(path: path, mode: .readOnly)) == .failure(.truncated)
    }

    /// Scans one segment into `opened`; false when damage stops the open here.
    private func openSegment(_ entry: (base: UInt64, path: String), isLast: Bool, into opened: inout Opened) throws -> Bool {
        let file = try LogFile(path: entry.path, mode: mode == .readWrite && isLast ? .readWrite : .readOnly)
        let header: SegmentHeader
        switch try SegmentHeader.read(from: file) {
        case .failure(let problem):
            opened.damage = EventLogError(.corrupt, problem.description, file: entry.path, offset: 0)
            return false
        case .success(let decoded):
            header = decoded
        }
        let expectedBase = opened.segments.last?.endPosition ?? 0
        guard header.basePosition == entry.base, header.basePosition == expectedBase else {
            opened.damage = EventLogError(
                .corrupt,
                "segment starts at position \(header.basePosition) (named \(entry.base)), expected \(expectedBase)",
                file: entry.path, offset: 0)
            return false
        }
        var positions = opened.positions
        opened.positions = [:]
        let visit: ((RecordView) throws -> Void)? = mode == .readWrite
            ? { view in if positions[view.id] == nil { positions[view.id] = view.position } }
            : nil
        var scan = try SegmentScan.scan(file, header: header, indexInterval: configuration.indexInterval, visit: visit)
        opened.positions = positions
        let indexPath = SegmentAppender.indexPath(entry.path)
        let writable = mode == .readWrite && opened.damage == nil
        let (actions, keepGoing) = RecoveryPlan.segment(
            RecoveryPlan.Scan(
                stop: scan.stop, fileSize: scan.fileSize,
                indexMatches: !writable || SegmentIndex.load(indexPath) == scan.index),
            isLast: isLast, writable: writable)
        for action in actions {
            switch action {
            case .truncate(let offset, let bytes):
                try file.truncate(to: offset)
                try file.sync()
                opened.recovery.truncatedBytes += bytes
            case .rebuildIndex:
                try SegmentIndex.write(scan.index.entries, to: indexPath)
                opened.recovery.rebuiltIndexes.append(indexPath)
            case .damaged(let reason, let offset):
                opened.damage = EventLogError(.corrupt, reason, file: entry.path, offset: offset)
            }
        }
        if let stop = scan.stop { scan.fileSize = stop.offset }
        opened.segments.append(LogState.Segment(
            basePosition: header.basePosition, path: entry.path, dictionary: header.dictionary,
            headerLength: Int64(header.length), index: scan.index, endOffset: scan.endOffset,
            endPosition: scan.endPosition))
        return keepGoing
    }
}
