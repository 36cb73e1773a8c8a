import ByteCoding
/// An error from the event log: a stable code, a message, the file and offset involved, the error that
/// caused it, and the source location that raised it (as swift-nio's `FileSystemError` does).
public struct EventLogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong; a struct so new codes do not break callers that switch on known ones.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// A batch or segment header failed its checksum or structure checks.
        public static let corrupt = Code(name: "corrupt")
        /// The log was opened read-only (by request or because of damage) and cannot take appends.
        public static let readOnly = Code(name: "readOnly")
        /// A system call failed; `errno` says why.
        public static let io = Code(name: "io")
        /// Another process holds the log's writer lock.
        public static let locked = Code(name: "locked")
        /// The directory holds no log, or its segments do not form one.
        public static let notALog = Code(name: "notALog")
        /// A record is larger than the configured limit.
        public static let recordTooLarge = Code(name: "recordTooLarge")
        /// A position past the end of the log was asked for.
        public static let positionOutOfRange = Code(name: "positionOutOfRange")
        /// The writer failed (a write or sync error, or free space below the reserve): appends are refused
        /// until it heals.
        public static let writerFailed = Code(name: "writerFailed")
        /// The log's file system has less free space than the configured reserve.
        public static let belowReserve = Code(name: "belowReserve")
        /// The log was closed.
        public static let closed = Code(name: "closed")
    }

    public var code: Code
    public var message: String
    /// The file involved, if any.
    public var file: String?
    /// The byte offset in `file`, if any.
    public var offset: Int64?
    /// The `errno` of a failed system call, if any.
    public var errno: Int32?
    /// The error this one wraps, if any.
    public var cause: (any Error)?
    /// Where in MovieMash's source the error was raised.
    public var location: SourceLocation

    public typealias SourceLocation = ByteCoding.SourceLocation

    public init(
        _ code: Code, _ message: String, file: String? = nil, offset: Int64? = nil, errno: Int32? = nil,
        cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.errno = errno
        self.cause = cause
        location = SourceLocation(fileID: fileID, line: line)
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let file { text += " [file \(file)" + (offset.map { " at byte offset \($0)" } ?? "") + "]" }
        if let errno { text += " (errno \(errno): \(String(cString: strerror(errno))))" }
        return text
    }

    /// Equal when they say the same: code, message, file, offset and errno (not the cause or where it was raised).
    public static func == (left: EventLogError, right: EventLogError) -> Bool {
        left.code == right.code && left.message == right.message && left.file == right.file
            && left.offset == right.offset && left.errno == right.errno
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
