/// A setting that cannot be used: the process refuses to start and says which setting and why.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The setting at fault (`port`, `jwtKeys`, …), nil when it concerns several.
    public var setting: String?
    public var message: String

    public init(_ message: String, setting: String? = nil) {
        self.setting = setting
        self.message = message
    }

    public var description: String { setting.map { "\($0): \(message)" } ?? message }
}
