/// The rules of a robots.txt for one user agent: the group naming our product token, else the `*` group.
/// The longest matching rule wins, `Allow` on a tie; `*` matches any run of characters and a final `$`
/// anchors the end (as Google and RFC 9309 read them).
public struct RobotsRules: Sendable, Equatable {
    var rules: [(allow: Bool, pattern: String)]

    public static let allowAll = RobotsRules(rules: [])

    public static func == (lhs: RobotsRules, rhs: RobotsRules) -> Bool {
        lhs.rules.map(\.allow) == rhs.rules.map(\.allow) && lhs.rules.map(\.pattern) == rhs.rules.map(\.pattern)
    }

    init(rules: [(allow: Bool, pattern: String)]) {
        self.rules = rules
    }

    /// Parses `text` for the agent whose product token is `agent` (say `MovieMash`).
    public init(parsing text: String, agent: String) {
        var groups: [(agents: [String], rules: [(allow: Bool, pattern: String)])] = []
        var collectingAgents = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "user-agent":
                if !collectingAgents { groups.append(([], [])) }
                groups[groups.count - 1].agents.append(value.lowercased())
                collectingAgents = true
            case "allow", "disallow":
                collectingAgents = false
                guard !groups.isEmpty, !value.isEmpty else { continue }
                groups[groups.count - 1].rules.append((field == "allow", value))
            default:
                continue
            }
        }
        let token = agent.lowercased()
        let mine = groups.filter { $0.agents.contains { $0 != "*" && token.hasPrefix($0) } }
        let chosen = mine.isEmpty ? groups.filter { $0.agents.contains("*") } : mine
        rules = chosen.flatMap(\.rules)
    }

    /// Whether `path` (with its query) may be fetched.
    public func allows(_ path: String) -> Bool {
        var best: (length: Int, allow: Bool)?
        for rule in rules where Self.matches(rule.pattern, path) {
            let length = rule.pattern.count
            if best == nil || length > best!.length || (length == best!.length && rule.allow) { best = (length, rule.allow) }
        }
        return best?.allow ?? true
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        var body = pattern
        let anchored = body.hasSuffix("$")
        if anchored { body.removeLast() }
        let parts = body.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return anchored ? path == body : path.hasPrefix(body) }
        guard path.hasPrefix(parts[0]) else { return false }
        var rest = Substring(path).dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        let last = parts[parts.count - 1]
        return anchored ? rest.hasSuffix(last) : last.isEmpty || rest.contains(last)
    }
}
