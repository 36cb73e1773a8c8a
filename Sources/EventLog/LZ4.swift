import CLZ4

/// One LZ4 block compressor, reused across batches; not thread-safe (owned by the writer).
final class LZ4Compressor {
    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    private var output: [UInt8] = []

    init() {
        stream = LZ4_createStream()
    }

    deinit {
        LZ4_freeStream(stream)
    }

    /// Compresses `input` as one block, primed with `dictionary` when it is not empty.
    /// Returns nil when the block would not be smaller than the input (store it raw then).
    func compress(_ input: UnsafeRawBufferPointer, dictionary: [UInt8]) -> [UInt8]? {
        let capacity = Int(LZ4_compressBound(Int32(input.count)))
        if output.count < capacity { output = [UInt8](repeating: 0, count: capacity) }
        let written: Int32 = output.withUnsafeMutableBytes { out in
            let source = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            let destination = out.baseAddress!.assumingMemoryBound(to: CChar.self)
            if dictionary.isEmpty {
                return LZ4_compress_default(source, destination, Int32(input.count), Int32(capacity))
            }
            return dictionary.withUnsafeBytes { dict in
                LZ4_loadDict(stream, dict.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(dict.count))
                return LZ4_compress_fast_continue(stream, source, destination, Int32(input.count), Int32(capacity), 1)
            }
        }
        guard written > 0, Int(written) < input.count else { return nil }
        return Array(output[0..<Int(written)])
    }
}

enum LZ4 {
    /// Decompresses one block into `output` (sized to the expected length); false if the block is invalid
    /// or does not produce exactly that many bytes.
    static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, dictionary: [UInt8]?
    ) -> Bool {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return output.isEmpty }
        let source = inBase.assumingMemoryBound(to: CChar.self)
        let destination = outBase.assumingMemoryBound(to: CChar.self)
        let produced: Int32
        if let dictionary, !dictionary.isEmpty {
            produced = dictionary.withUnsafeBytes { dict in
                LZ4_decompress_safe_usingDict(
                    source, destination, Int32(input.count), Int32(output.count),
                    dict.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(dict.count))
            }
        } else {
            produced = LZ4_decompress_safe(source, destination, Int32(input.count), Int32(output.count))
        }
        return Int(produced) == output.count
    }
}
