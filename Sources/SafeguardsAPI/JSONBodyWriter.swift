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
        var writer = JSONBodyWriter()
        write(to: &writer)
        return allocator.buffer(bytes: writer.bytes)
    }
}

/// Writes compact JSON, escaping strings as Foundation's `JSONEncoder` does with
/// `.withoutEscapingSlashes`: `"` and `\` and control characters are escaped (`\n`, `\t`...,
/// others as `\u00XX`), everything else, non-ASCII included, is written as its UTF-8 bytes.
///
/// The writer places the commas; the caller writes keys in order and values after them. The
/// text collects in an array, copied once into the response's `ByteBuffer`: a `ByteBuffer`
/// write checks capacity and uniqueness each time, which for a body of many small writes cost
/// more than the copy.
public struct JSONBodyWriter {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether a value was just finished, so the next key or element needs a comma first.
    private var afterValue = false

    /// An empty writer.
    public init() {
        bytes.reserveCapacity(512)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    /// An object key known when the code is written: ASCII without anything to escape.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        append(key)
        append("\":")
        afterValue = false
    }

    /// An object key from data (a metadata key), escaped. (Named apart from ``key(_:)``, which
    /// a string literal would otherwise not reach: literals prefer `String`.)
    public mutating func dataKey(_ key: String) {
        separate()
        writeEscaped(key)
        bytes.append(UInt8(ascii: ":"))
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
        // Composed right to left in one piece: quotes, sign, at most 13 whole digits, '.', 6 places.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            var start = 24
            func put(_ byte: UInt8) {
                start -= 1
                text[start] = byte
            }
            put(UInt8(ascii: "\""))
            var fraction = magnitude % scale
            for _ in 0..<Amount.decimalPlaces {
                put(UInt8(ascii: "0") + UInt8(fraction % 10))
                fraction /= 10
            }
            put(UInt8(ascii: "."))
            var whole = magnitude / scale
            repeat {
                put(UInt8(ascii: "0") + UInt8(whole % 10))
                whole /= 10
            } while whole > 0
            if value.micros < 0 { put(UInt8(ascii: "-")) }
            put(UInt8(ascii: "\""))
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<24]))
        }
        afterValue = true
    }

    public mutating func integer(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        writeDigits(value.magnitude)
        afterValue = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
        afterValue = true
    }

    public mutating func null() {
        separate()
        append("null")
        afterValue = true
    }

    /// A map of strings keyed by data (metadata), its keys sorted by their UTF-8 bytes as the
    /// encoder sorts them.
    public mutating func stringMap(_ map: [String: String]) {
        beginObject()
        if map.count == 1, let (key, value) = map.first {
            dataKey(key)
            string(value)
        } else if !map.isEmpty {
            for (key, value) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                dataKey(key)
                string(value)
            }
        }
        endObject()
    }

    private mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }

    /// `value` in decimal.
    private mutating func writeDigits(_ value: UInt64) {
        // 20 digits hold any UInt64.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    private mutating func writeEscaped(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    append("\\u00")
                    bytes.append(hex.utf8Start[Int(byte >> 4)])
                    bytes.append(hex.utf8Start[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
