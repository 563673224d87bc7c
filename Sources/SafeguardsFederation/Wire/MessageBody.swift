import Foundation
import SafeguardsCore

/// A message body carried as JSON in an envelope, tied to the ``MessageType`` it travels under.
///
/// Bodies are encoded once with sorted keys (so the same value always gives the same bytes) and
/// signed as those bytes; the receiver decodes the bytes it verified, never a re-encoding.
public protocol MessageBody: Codable, Sendable, Equatable {
    /// The envelope type this body travels under.
    static var messageType: MessageType { get }
}

extension MessageBody {
    /// The body as JSON bytes with sorted keys.
    ///
    /// - Throws: ``WireError/bodyEncodingFailed(_:reason:)`` when the value has no JSON form
    ///   (not possible for the string-only bodies of this module).
    public func encodedBody() throws(WireError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw .bodyEncodingFailed(Self.messageType, reason: String(describing: error))
        }
    }

    /// Decodes a body from the JSON bytes of an envelope.
    ///
    /// - Throws: ``WireError/malformedBody(_:reason:)`` when the bytes are not this body's JSON,
    ///   or not strict JSON (a key twice in one object, nesting too deep: see ``StrictJSON``).
    ///   Unknown keys are ignored, so a newer peer may add fields.
    public init(decodingBody bytes: [UInt8]) throws(WireError) {
        do { try StrictJSON.validate(bytes) } catch {
            throw .malformedBody(Self.messageType, reason: error.description)
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(bytes))
        } catch {
            throw .malformedBody(Self.messageType, reason: String(describing: error))
        }
    }
}
