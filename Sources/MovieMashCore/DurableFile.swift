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
        guard write(bytes, to: descriptor) else { throw failed("cannot write \(temporary)") }
        guard fsync(descriptor) == 0 else { throw failed("cannot sync \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failed("cannot store \(path)") }
        try syncDirectory(of: path)
    }

    /// Removes `path` (a missing file is no error) and fsyncs its directory, so the removal is durable.
    public static func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("cannot remove \(path)") }
        try syncDirectory(of: path)
    }

    /// Overwrites `path` with zeros and fsyncs it before removing it durably, so the old bytes are not left
    /// in the freed blocks of an ordinary in-place file system (copy-on-write file systems and flash
    /// translation layers may still keep them: the key store's directory belongs on a disk that is
    /// encrypted or destroyed with the machine). A missing file is no error.
    public static func shred(_ path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        if descriptor < 0 {
            guard errno == ENOENT else { throw failure("cannot open \(path)") }
            return
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("cannot stat \(path)") }
        guard write([UInt8](repeating: 0, count: Int(status.st_size)), to: descriptor) else { throw failure("cannot overwrite \(path)") }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync \(path)") }
        try remove(path)
    }

    /// Writes all of `bytes` from the start of the file, however short each write; false (errno set) on failure.
    private static func write(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(written)) }
            guard result > 0 else { return false }
            written += result
        }
        return true
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
