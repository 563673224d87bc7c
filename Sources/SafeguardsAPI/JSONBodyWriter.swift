import NIOCore
import SafeguardsCore

/// A body that writes its own JSON with a ``JSONBodyWriter``: byte for byte what
/// ``APICoding/encode(_:)`` writes for it, without the generic `Codable` encoder (which builds a
/// tree of boxed values, looks up generic metadata per key and sorts keys at run time).
///
/// A conforming body writes its keys in the order the encoder sorts them (ascending by their
/// UTF-8 bytes) and leaves out `nil` optionals, as the synthesized `Encodable` does; tests compare
/// both paths for every conforming body.
public protocol JSONWritable: Encodable {
    /// Writes this body as one JSON value.
    func write(to writer: inout JSONBodyWriter)
}

extension JSONWritable {
    /// This body as JSON in a new buffer from `allocator`.
    public func jsonBuffer(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var writer = JSONBodyWriter(buffer: allocator.buffer(capacity: 512))
        write(to: &writer)
        return writer.buffer
    }
}

/// Appends compact JSON to a `ByteBuffer`, escaping strings as Foundation's `JSONEncoder` does
/// with `.withoutEscapingSlashes`: `"` and `\` and control characters are escaped (`\n`, `\t`...,
/// others as `\u00XX`), everything else, non-ASCII included, is written as its UTF-8 bytes.
///
/// The writer places the commas; the caller writes keys in order and values after them.
public struct JSONBodyWriter {
    /// The JSON written so far.
    public private(set) var buffer: ByteBuffer
    /// Whether a value was just finished, so the next key or element needs a comma first.
    private var afterValue = false

    /// A writer that appends to `buffer`.
    public init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    public mutating func beginObject() {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        buffer.writeInteger(UInt8(ascii: "}"))
        afterValue = true
    }

    /// An object key known when the code is written: ASCII without anything to escape.
    public mutating func key(_ key: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(key)
        buffer.writeStaticString("\":")
        afterValue = false
    }

    /// An object key from data (a metadata key), escaped.
    public mutating func key(_ key: String) {
        separate()
        writeEscaped(key)
        buffer.writeInteger(UInt8(ascii: ":"))
        afterValue = false
    }

    public mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
        afterValue = true
    }

    /// An amount as its decimal string with six places, as `Amount.description` spells it.
    public mutating func amount(_ value: Amount) {
        separate()
        let magnitude = value.micros.magnitude
        let scale = UInt64(Amount.scale)
        buffer.writeStaticString(value.micros < 0 ? "\"-" : "\"")
        writeDigits(magnitude / scale, width: 1)
        buffer.writeInteger(UInt8(ascii: "."))
        writeDigits(magnitude % scale, width: Amount.decimalPlaces)
        buffer.writeInteger(UInt8(ascii: "\""))
        afterValue = true
    }

    public mutating func integer(_ value: Int64) {
        separate()
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        writeDigits(value.magnitude, width: 1)
        afterValue = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
        afterValue = true
    }

    public mutating func null() {
        separate()
        buffer.writeStaticString("null")
        afterValue = true
    }

    /// A map of strings keyed by data (metadata), its keys sorted by their UTF-8 bytes as the
    /// encoder sorts them.
    public mutating func stringMap(_ map: [String: String]) {
        beginObject()
        if map.count == 1, let (key, value) = map.first {
            self.key(key)
            string(value)
        } else if !map.isEmpty {
            for (key, value) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                self.key(key)
                string(value)
            }
        }
        endObject()
    }

    private mutating func separate() {
        if afterValue { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// `value` in decimal, padded with zeros to at least `width` digits.
    private mutating func writeDigits(_ value: UInt64, width: Int) {
        // 20 digits hold any UInt64.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0 || 20 - start < width
            buffer.writeBytes(UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    private mutating func writeEscaped(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var run = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                    buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                }
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
