/// The ledger accounts behind pools and agents, and how they are named.
public enum LedgerAccounts {
    /// Where all budget comes from: the operator's funding. Unconstrained; its balance is minus
    /// the budget issued to pools.
    public static let funding = AccountID(unchecked: "funding")

    public static func pool(_ id: PoolID) -> AccountID { AccountID(unchecked: "pool:\(id.rawValue)") }
    public static func agent(_ id: AgentID) -> AccountID { AccountID(unchecked: "agent:\(id.rawValue)") }
    /// The sink an agent's spending is credited to.
    public static func spent(_ id: AgentID) -> AccountID { AccountID(unchecked: "spent:\(id.rawValue)") }

    /// Where an agent's budget of one resource type lives, where its use goes, and where every
    /// agent's budget of that type comes from.
    public static func resource(_ agent: AgentID, _ type: String) -> AccountID {
        AccountID(unchecked: "res:\(agent.rawValue):\(type)")
    }
    public static func resourceUsed(_ agent: AgentID, _ type: String) -> AccountID {
        AccountID(unchecked: "resused:\(agent.rawValue):\(type)")
    }
    public static func resourceFunding(_ type: String) -> AccountID { AccountID(unchecked: "resfund:\(type)") }

    /// Resource type names: 1-40 of a-z, 0-9 and `_`.
    public static func isValidResourceType(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 40
            && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// The agent an account belongs to: its budget (`agent:`), its spent sink (`spent:`) and its
    /// resource accounts (`res:`, `resused:`, whose last `:` part is the resource type). `nil` for
    /// every other account.
    public static func agent(owning account: AccountID) -> AgentID? {
        let text = account.rawValue
        for prefix in ["agent:", "spent:"] where text.hasPrefix(prefix) {
            return AgentID(unchecked: String(text.dropFirst(prefix.count)))
        }
        for prefix in ["res:", "resused:"] where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count)
            // Agent ids may hold `:`; resource types never do.
            guard let colon = rest.lastIndex(of: ":"), colon > rest.startIndex else { return nil }
            return AgentID(unchecked: String(rest[..<colon]))
        }
        return nil
    }

    /// The pool whose budget account `account` is (`pool:`), or `nil`.
    public static func pool(owning account: AccountID) -> PoolID? {
        account.rawValue.hasPrefix("pool:") ? PoolID(unchecked: String(account.rawValue.dropFirst(5))) : nil
    }

    /// An account id in words: `agent:a1` → `agent a1`.
    public static func describe(_ account: AccountID) -> String {
        for kind in ["pool", "agent", "spent"] where account.rawValue.hasPrefix(kind + ":") {
            return "\(kind) \(account.rawValue.dropFirst(kind.count + 1))"
        }
        return "account \(account.rawValue)"
    }
}

extension TransferRequest {
    /// The transfer that brings `account` from `current` to `target`: the difference moves from
    /// `source` into the account when raising, and back to `source` when lowering. `nil` when
    /// there is no difference.
    public static func resizing(
        _ account: AccountID, against source: AccountID, from current: Amount, to target: Amount, id: TransferID,
        reason: String, metadata: [String: String]
    ) -> TransferRequest? {
        let difference = target.micros &- current.micros
        guard difference != 0 else { return nil }
        let raising = difference > 0
        return TransferRequest(
            id: id, debit: raising ? source : account, credit: raising ? account : source,
            amount: Amount(micros: raising ? difference : -difference), reason: reason, metadata: metadata)
    }
}
