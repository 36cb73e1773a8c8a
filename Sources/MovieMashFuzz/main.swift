import CFuzzer
import Foundation

/// `moviemash-fuzz TARGET [libFuzzer flags] [CORPUS…]`, or `moviemash-fuzz write-seeds DIR` for the starting corpus. Built for fuzzing (see `Scripts/fuzz`), libFuzzer
/// explores TARGET from the corpus; in an ordinary build it runs every corpus file once through TARGET,
/// which is how found crashes stay regression tests.
let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "write-seeds" {
    try FuzzSeeds.write(to: arguments[2])
    exit(0)
}
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: moviemash-fuzz TARGET [libFuzzer flags] [CORPUS…]; TARGET is one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
    exit(2)
}
nonisolated(unsafe) var selected = target

#if FUZZING
let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
// libFuzzer sees the program name and its own flags, not the target's name.
var passed = [arguments[0]] + arguments.dropFirst(2)
var pointers: [UnsafeMutablePointer<CChar>?] = passed.map { strdup($0) } + [nil]
var count = Int32(passed.count)
let status = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&count, &argv, callback)
}
exit(status)
#else
var inputs = 0
for path in arguments.dropFirst(2) where !path.hasPrefix("-") {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        FileHandle.standardError.write(Data("no file or directory \(path)\n".utf8))
        exit(2)
    }
    let files = isDirectory.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
        : [path]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        data.withUnsafeBytes { selected.run($0) }
        inputs += 1
    }
}
print("\(target.rawValue): \(inputs) inputs, no crash")
#endif
