import SafeguardsCore

/// A request body that can be read from the members of its JSON object (``JSONMembers``, which the
/// strict check collects in its one pass over the bytes) without the generic `Codable` decoder.
///
/// The reader takes only the plain form of each field: a decimal string for an amount, a string
/// or `null` for an optional string, a plain integer for an integer. For anything else — a
/// missing field, a wrong type, an amount that does not parse, a number with a fraction or an
/// exponent — it answers `nil`, and the caller decodes the text with `Codable`, which accepts or
/// refuses it with its own error. So a body reads the same and a refusal says the same whichever
/// path ran; tests compare both on good and bad bodies.
public protocol JSONMemberDecodable: Decodable {
    /// The body, or `nil` when a member is not in the plain form (see the protocol).
    init?(members: JSONMembers)
}

extension JSONMembers.Value {
    /// The amount of a decimal string that `Amount(parsing:)` takes; `nil` for anything else.
    var plainAmount: Amount? {
        guard case .string(let text) = self else { return nil }
        return try? Amount(parsing: text)
    }

    /// `.some(text)` for a string, `.some(nil)` for `null` (an absent optional); `nil` for anything else.
    var optionalString: String?? {
        switch self {
        case .string(let text): return .some(text)
        case .null: return .some(nil)
        default: return nil
        }
    }

    /// `.some(value)` for a number written as a plain integer in range, `.some(nil)` for `null`;
    /// `nil` for anything else (a fraction, an exponent, out of range: left to `Codable`).
    var optionalInt64: Int64?? {
        switch self {
        case .null: return .some(nil)
        case .number(let text):
            guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") || $0 == UInt8(ascii: "-") }),
                let value = Int64(text)
            else { return nil }
            return .some(value)
        default: return nil
        }
    }
}

/// The fields of the spend and reserve bodies, read from members in their plain form.
private struct AmountRequestFields {
    var amount: Amount
    var idempotencyKey: String?
    var timeoutSeconds: Int64?

    /// `nil` when a field is not plain or the amount is missing. `timeout_seconds` is read only
    /// when the body has that field (`readsTimeout`); to a body without it, it is unknown and ignored.
    init?(_ members: JSONMembers, readsTimeout: Bool) {
        var amount: Amount?
        for member in members.entries {
            switch member.key {
            case "amount":
                guard let value = member.value.plainAmount else { return nil }
                amount = value
            case "idempotency_key":
                guard let value = member.value.optionalString else { return nil }
                idempotencyKey = value
            case "timeout_seconds" where readsTimeout:
                guard let value = member.value.optionalInt64 else { return nil }
                timeoutSeconds = value
            case "metadata":
                // A map is not kept by the one-pass reader: a body with one is read by `Codable`.
                guard member.value == .null else { return nil }
            default: continue
            }
        }
        guard let amount else { return nil }
        self.amount = amount
    }
}

extension SpendRequest: JSONMemberDecodable {
    public init?(members: JSONMembers) {
        guard let fields = AmountRequestFields(members, readsTimeout: false) else { return nil }
        self.init(amount: fields.amount, idempotencyKey: fields.idempotencyKey)
    }
}

extension ReserveRequest: JSONMemberDecodable {
    public init?(members: JSONMembers) {
        guard let fields = AmountRequestFields(members, readsTimeout: true) else { return nil }
        self.init(amount: fields.amount, idempotencyKey: fields.idempotencyKey, timeoutSeconds: fields.timeoutSeconds)
    }
}

extension SettleRequest: JSONMemberDecodable {
    public init?(members: JSONMembers) {
        guard let amount = members["amount"]?.plainAmount else { return nil }
        self.init(amount: amount)
    }
}
