/// A place in MovieMash's source where an error was raised: `#fileID` and `#line`. One type for every
/// module's errors (the log's, the mirror's, the scraper's), in the module they all build on.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var fileID: String
    public var line: Int

    public init(fileID: String, line: Int) {
        self.fileID = fileID
        self.line = line
    }

    public var description: String { "\(fileID):\(line)" }
}
