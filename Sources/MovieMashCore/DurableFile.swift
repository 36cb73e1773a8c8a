import Foundation

/// Small files replaced or removed so that a crash leaves the old state or the new one, never half of
/// one, and the change survives power loss once the call returns: the one home of fsync-and-rename for
/// snapshots and the key store.
public enum DurableFile {
    /// Why a durable write or removal failed, with the path and the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
    /// directory. A half-written temporary file is removed rather than left taking the space a full disk lacks.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        defer { close(descriptor) }
        func failed(_ what: String) -> Failure {
            let error = failure(what)
            unlink(temporary)
            return error
        }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard result > 0 else { throw failed("cannot write \(temporary)") }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw failed("cannot sync \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failed("cannot store \(path)") }
        try syncDirectory(of: path)
    }

    /// Removes `path` (a missing file is no error) and fsyncs its directory, so the removal is durable.
    public static func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("cannot remove \(path)") }
        try syncDirectory(of: path)
    }

    private static func syncDirectory(of path: String) throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open \(directory)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync \(directory)") }
    }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
