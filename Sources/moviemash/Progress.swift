import Foundation

/// Progress on standard error: a bar redrawn in place on a terminal, a line per tenth otherwise.
struct Progress {
    let total: UInt64
    let verb: String
    let noun: String
    let start = ContinuousClock.now
    let terminal = isatty(STDERR_FILENO) == 1
    var lastTenth = -1
    var lastDraw = ContinuousClock.now

    init(total: UInt64, verb: String, noun: String) {
        self.total = total
        self.verb = verb
        self.noun = noun
    }

    mutating func show(_ position: UInt64) {
        let seconds = max((ContinuousClock.now - start) / .seconds(1), 1e-9)
        let rate = Int(Double(position) / seconds)
        let fraction = total == 0 ? 1 : Double(position) / Double(total)
        if terminal {
            guard ContinuousClock.now - lastDraw > .milliseconds(100) || position == total else { return }
            lastDraw = ContinuousClock.now
            let filled = Int(fraction * 30)
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: 30 - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))%  \(position)/\(total) \(noun)  \(rate) \(noun)/s".utf8))
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(verb) \(position)/\(total) \(noun) (\(rate) \(noun)/s)\n".utf8))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
