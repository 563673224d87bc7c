/// Reads big-endian integers and length-checked byte runs from untrusted bytes.
///
/// Every read checks the remaining count first and throws ``WireError/truncated(_:needed:available:)``
/// instead of trapping, and a run is copied only after its length was checked against the bytes
/// actually present, so a forged length can never make the decoder allocate.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - offset }

    /// The next `count` bytes; throws when fewer are left.
    mutating func readBytes(_ count: Int, for field: WireError.Field) throws(WireError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw .truncated(field, needed: count, available: remaining)
        }
        let run = bytes[offset..<offset + count]
        offset += count
        return run
    }

    mutating func readUInt8(for field: WireError.Field) throws(WireError) -> UInt8 {
        try readInteger(UInt8.self, for: field)
    }

    mutating func readUInt16(for field: WireError.Field) throws(WireError) -> UInt16 {
        try readInteger(UInt16.self, for: field)
    }

    mutating func readUInt32(for field: WireError.Field) throws(WireError) -> UInt32 {
        try readInteger(UInt32.self, for: field)
    }

    mutating func readInt64(for field: WireError.Field) throws(WireError) -> Int64 {
        try readInteger(Int64.self, for: field)
    }

    private mutating func readInteger<T: FixedWidthInteger>(_: T.Type, for field: WireError.Field) throws(WireError)
        -> T
    {
        let run = try readBytes(MemoryLayout<T>.size, for: field)
        // Shifted in byte by byte: big-endian regardless of the host, no unaligned loads.
        return run.reduce(T.zero) { value, byte in (value << 8) | T(byte) }
    }
}

/// Appends big-endian integers and byte runs; the writing half of ``ByteReader``.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ run: some Collection<UInt8>) {
        bytes.append(contentsOf: run)
    }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
