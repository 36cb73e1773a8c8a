import Foundation

extension EventLog {
    /// Cuts the log in `directory` back to at most its first `position` records, for a writer that
    /// returns after losing its lease: what it appended beyond the mirror's table was never acknowledged.
    ///
    /// The cut falls on the last indexed batch start at or before `position`, so the answer (the new end)
    /// may lie a few batches before it; the caller copies those from the table again. Later segments are
    /// removed last first, so a crash part-way leaves a shorter log, never a gap. No process may have the log
    /// open (its lock is taken meanwhile).
    public static func cutBack(directory: String, to position: UInt64, configuration: Configuration = Configuration()) async throws -> UInt64 {
        let log = try EventLog(directory: directory, configuration: configuration)
        let segments = log.state.segments
        try await log.close()
        if let damage = log.damage { throw damage }
        guard log.endPosition > position,
              let cut = segments.lastIndex(where: { $0.basePosition <= position && $0.endPosition > $0.basePosition })
        else { return log.endPosition }
        let lockPath = directory + "/" + LogOpener.lockFileName
        let lock = try LogFile(path: lockPath, mode: .readWrite)
        try lock.lockExclusively()
        defer { lock.unlock() }
        for segment in segments[(cut + 1)...].reversed() {
            unlink(segment.path)
            unlink(SegmentAppender.indexPath(segment.path))
        }
        let segment = segments[cut]
        let start = segment.index.floor(position) ?? SegmentIndex.Entry(position: segment.basePosition, offset: segment.headerLength)
        let file = try LogFile(path: segment.path, mode: .readWrite)
        try file.truncate(to: start.offset)
        try file.sync()
        try LogFile.syncDirectory(directory)
        return start.position
    }
}
