import SafeguardsFederation
import FuzzDriver

/// libFuzzer entry point for ``FrameDecoder``.
///
/// The first byte picks a chunk size; the rest is the stream. Invariants: decoding never traps;
/// the frames (and the failure, if any) do not depend on how the stream was split; every frame
/// handed out, framed again, is exactly the bytes of the stream it came from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let first = bytes.first else { return 0 }
    let stream = Array(bytes.dropFirst())
    // A small limit, so that frames complete within the inputs libFuzzer makes.
    let maximum = 1 + Int(first % 64) * 16
    let whole = decode(stream, chunk: max(stream.count, 1), maximum: maximum)
    let split = decode(stream, chunk: 1 + Int(first % 7), maximum: maximum)
    guard whole.frames == split.frames, whole.failure == split.failure else {
        fatalError("frames depend on how the stream was split: \(whole) vs \(split)")
    }
    let reframed = whole.frames.flatMap(FrameDecoder.frame)
    guard reframed == Array(stream.prefix(reframed.count)) else {
        fatalError("frames framed again are not the stream they came from")
    }
    return 0
}

private func decode(_ stream: [UInt8], chunk: Int, maximum: Int) -> (frames: [[UInt8]], failure: WireError?) {
    var decoder = FrameDecoder(maximumFrameLength: maximum)
    var frames: [[UInt8]] = []
    var offset = 0
    repeat {
        decoder.append(stream[offset..<min(stream.count, offset + chunk)])
        offset += chunk
        do {
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        } catch {
            return (frames, error)
        }
    } while offset < stream.count
    return (frames, nil)
}

@main
enum Main {
    static func main() { runFuzzer(fuzzFrame) }
}
