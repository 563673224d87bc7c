/// Splits a byte stream into length-prefixed frames: a 4-byte big-endian length, then that many
/// bytes of payload (an encoded ``Envelope``).
///
/// Pure and incremental: feed it bytes as they arrive with ``append(_:)``, however they were
/// split or coalesced, and take whole frames with ``nextFrame()``. The transport's channel
/// handler applies the same rules; this one is the reference the tests and the simulator use.
///
/// A length prefix of zero or above ``maximumFrameLength`` is refused as soon as its four bytes
/// are in, before any of the announced payload arrives and without reserving memory for it. A
/// stream with a bad prefix cannot be resynchronised, so the decoder stays failed: every later
/// ``nextFrame()`` throws the same error and appended bytes are dropped, and the caller should
/// close the connection.
public struct FrameDecoder: Sendable {
    /// Length of the big-endian length prefix, in bytes.
    public static let lengthPrefixLength = 4
    /// A frame limit that fits every valid envelope (``Envelope/maximumEncodedLength``).
    public static let defaultMaximumFrameLength = Envelope.maximumEncodedLength

    /// The longest payload accepted, in bytes.
    public let maximumFrameLength: Int
    /// Received bytes; those before `readIndex` were already handed out as frames.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The error that broke the stream, repeated from then on.
    private var failure: WireError?

    /// A decoder that accepts payloads of 1...`maximumFrameLength` bytes.
    ///
    /// `maximumFrameLength` is the node's own setting, not input from the network: values below 1
    /// or above `UInt32.max` are a programming error and stop the process.
    public init(maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength) {
        precondition(
            maximumFrameLength >= 1 && UInt64(maximumFrameLength) <= UInt64(UInt32.max),
            "maximumFrameLength must be in 1...\(UInt32.max)")
        self.maximumFrameLength = maximumFrameLength
    }

    /// Bytes received and not yet handed out as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Bytes the buffer has room for; lets tests prove a huge length prefix reserved nothing.
    var bufferCapacity: Int { buffer.capacity }

    /// Whether a bad length prefix has broken the stream.
    public var hasFailed: Bool { failure != nil }

    /// Adds received bytes. Dropped once the stream has failed.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil else { return }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, or `nil` when more bytes are needed.
    ///
    /// - Throws: ``WireError/emptyFrame`` or ``WireError/frameTooLarge(length:maximum:)`` once a
    ///   bad length prefix is in (and on every call after it).
    public mutating func nextFrame() throws(WireError) -> [UInt8]? {
        if let failure { throw failure }
        guard bufferedByteCount >= FrameDecoder.lengthPrefixLength else { return nil }
        let announced = buffer[readIndex..<readIndex + FrameDecoder.lengthPrefixLength].reduce(UInt32(0)) {
            value, byte in (value << 8) | UInt32(byte)
        }
        guard announced > 0 else { throw breakStream(.emptyFrame) }
        guard UInt64(announced) <= UInt64(maximumFrameLength) else {
            throw breakStream(.frameTooLarge(length: Int(clamping: announced), maximum: maximumFrameLength))
        }
        let length = Int(announced)
        let start = readIndex + FrameDecoder.lengthPrefixLength
        // `length` is at most `maximumFrameLength` here, so it is safe to compare and slice with.
        guard buffer.count - start >= length else { return nil }
        let payload = Array(buffer[start..<start + length])
        readIndex = start + length
        compact()
        return payload
    }

    /// Encodes `payload` as one frame: its length as 4 big-endian bytes, then the payload.
    ///
    /// `payload` is built by this node, so a payload of 4 GiB or more is a programming error and
    /// stops the process rather than being sent with a wrong length.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        guard let length = UInt32(exactly: payload.count) else {
            preconditionFailure("a frame payload must be shorter than 4 GiB; got \(payload.count) bytes")
        }
        var writer = ByteWriter(capacity: lengthPrefixLength + payload.count)
        writer.write(length)
        writer.write(payload)
        return writer.bytes
    }

    /// Remembers `error` as the stream's end and frees the buffer; returns it for throwing.
    private mutating func breakStream(_ error: WireError) -> WireError {
        failure = error
        buffer = []
        readIndex = 0
        return error
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            // Move the unread tail down only once the consumed prefix dominates: amortised O(1) per byte.
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
