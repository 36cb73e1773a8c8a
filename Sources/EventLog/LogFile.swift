#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the few system calls the log needs, each throwing `EventLogError`.
///
/// Positional reads and writes only, so one descriptor can serve concurrent readers.
final class LogFile: @unchecked Sendable {
    let descriptor: Int32
    let path: String
    /// Injected failures its writes and syncs fire first (tests only).
    let faults: FaultInjection?

    /// How to open a file.
    enum Mode {
        case readOnly
        case readWrite
        case createNew
    }

    init(path: String, mode: Mode, faults: FaultInjection? = nil) throws {
        let flags: Int32 = switch mode {
        case .readOnly: O_RDONLY
        case .readWrite: O_RDWR
        case .createNew: O_RDWR | O_CREAT | O_EXCL
        }
        let descriptor = open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("open", path: path) }
        self.descriptor = descriptor
        self.path = path
        self.faults = faults
    }

    deinit {
        close(descriptor)
    }

    /// The error of a failed system call `call`, with its errno and the caller's source location.
    static func failure(_ call: String, path: String, offset: Int64? = nil, fileID: String = #fileID, line: Int = #line) -> EventLogError {
        let code = errno
        return EventLogError(.io, "\(call) failed", file: path, offset: offset, errno: code, fileID: fileID, line: line)
    }

    func size() throws -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.failure("fstat", path: path) }
        return Int64(info.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let filled = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
            try read(at: offset, into: raw)
        }
        buffer.removeLast(count - filled)
        return buffer
    }

    /// Fills `buffer` from `offset`; returns how many bytes were read (fewer only at the end of the file).
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if got < 0 {
                if errno == EINTR { continue }
                throw Self.failure("pread", path: path, offset: offset + Int64(done))
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { (raw) throws in
            var done = 0
            var limit = raw.count
            var injected: Int32?
            switch faults?.takeWriteFault() {
            case .shortWrite(let bytes, let code): (limit, injected) = (min(bytes, raw.count), code)
            case .writeFails(let code): (limit, injected) = (0, code)
            case .syncFails, nil: break
            }
            while done < limit {
                let wrote = pwrite(descriptor, raw.baseAddress! + done, limit - done, off_t(offset) + off_t(done))
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw Self.failure("pwrite", path: path, offset: offset + Int64(done))
                }
                done += wrote
            }
            if let injected {
                errno = injected
                throw Self.failure("pwrite", path: path, offset: offset + Int64(done))
            }
        }
    }

    /// Flushes file data to stable storage (`fdatasync`: the size change is data, metadata is not needed).
    func sync() throws {
        if let injected = faults?.takeSyncFault() {
            errno = injected
            throw Self.failure("fdatasync", path: path)
        }
        guard fdatasync(descriptor) == 0 else { throw Self.failure("fdatasync", path: path) }
    }

    /// Bytes the file system would still let an unprivileged writer use.
    func availableBytes() throws -> Int64 {
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { throw Self.failure("fstatvfs", path: path) }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    func truncate(to length: Int64) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.failure("ftruncate", path: path) }
    }

    /// Makes a directory entry (a created or removed file) durable.
    static func syncDirectory(_ path: String) throws {
        let file = try LogFile(path: path, mode: .readOnly)
        guard fsync(file.descriptor) == 0 else { throw failure("fsync", path: path) }
    }

    /// Releases the advisory lock.
    func unlock() {
        flock(descriptor, LOCK_UN)
    }

    /// Takes an exclusive advisory lock; throws `.locked` if another process holds it.
    func lockExclusively() throws {
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK {
                throw EventLogError(.locked, "another process has this log open for writing", file: path)
            }
            throw Self.failure("flock", path: path)
        }
    }
}
