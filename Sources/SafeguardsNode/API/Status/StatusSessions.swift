import Crypto
import SafeguardsCore
import Synchronization

/// The status page's sign-in sessions, in memory only: a restart signs everyone out.
///
/// A session id is 256 random bits, given to the browser once in an HttpOnly cookie; the node
/// keeps only its SHA-256, so a copy of the node's memory does not hold a usable cookie. Sessions
/// last a fixed ``lifetime`` from sign-in (no sliding: a stolen cookie stops working at the same
/// time as the real one). At most ``capacity`` exist at once; a sign-in beyond that ends the
/// session that would expire first.
///
/// Failed sign-ins draw from one bucket of ``failureBurst`` tries that refills one try every
/// ``failureRefill``: a guesser gets about ten tries a minute however many connections it opens.
/// While the bucket is empty every sign-in is refused unchecked, the right token too, so waiting
/// is the only way on (the API itself is not affected).
final class StatusSessions: Sendable {
    /// How long a session lasts from sign-in.
    static let lifetime: Duration = .seconds(12 * 3600)
    /// Most sessions held at once.
    static let capacity = 256
    /// Failed sign-ins allowed in a burst, and the time that gives one back.
    static let failureBurst = 10
    static let failureRefill: Duration = .seconds(6)

    /// Who signed in: the configured token, or an admin key by id (checked again at every use,
    /// so revoking the key ends its sessions).
    struct Session: Sendable, Equatable {
        /// `admin-token` or the admin key's id.
        var actor: String
        var expiresAt: Timestamp
    }

    private struct State {
        var sessions: [[UInt8]: Session] = [:]
        /// Failed sign-ins that count against the bucket, and when the oldest of them is given back.
        var failures = 0
        var refillFrom: Timestamp?
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Timestamp

    init(now: @escaping @Sendable () -> Timestamp = Timestamp.now) {
        self.now = now
    }

    /// Starts a session for `actor` and returns its id, the cookie's value (64 hex digits).
    func start(actor: String) -> String {
        let id = APIKeyRing.randomHex(bytes: 32)
        let time = now()
        state.withLock { state in
            state.sessions = state.sessions.filter { $0.value.expiresAt > time }
            if state.sessions.count >= Self.capacity,
                let first = state.sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt })
            {
                state.sessions[first.key] = nil
            }
            state.sessions[Self.hash(id)] = Session(actor: actor, expiresAt: time.advanced(by: Self.lifetime))
        }
        return id
    }

    /// The live session whose id is `id`; an expired one is forgotten.
    func session(_ id: String) -> Session? {
        guard Self.isWellFormed(id) else { return nil }
        let key = Self.hash(id)
        let time = now()
        return state.withLock { state in
            guard let session = state.sessions[key] else { return nil }
            guard session.expiresAt > time else {
                state.sessions[key] = nil
                return nil
            }
            return session
        }
    }

    /// Ends the session `id` (nothing when there is none).
    func end(_ id: String) {
        guard Self.isWellFormed(id) else { return }
        let key = Self.hash(id)
        _ = state.withLock { $0.sessions.removeValue(forKey: key) }
    }

    /// Sessions held now, expired ones included until they are next looked at.
    var count: Int { state.withLock { $0.sessions.count } }

    /// Whether a sign-in may be checked now; when not, how long until one may.
    func signInAllowed() -> Duration? {
        let time = now()
        return state.withLock { state in
            Self.refill(&state, at: time)
            guard state.failures >= Self.failureBurst, let from = state.refillFrom else { return nil }
            return time.duration(to: from.advanced(by: Self.failureRefill))
        }
    }

    /// Counts a failed sign-in against the bucket.
    func recordFailure() {
        let time = now()
        state.withLock { state in
            Self.refill(&state, at: time)
            if state.failures == 0 { state.refillFrom = time }
            state.failures = min(state.failures + 1, Self.failureBurst)
        }
    }

    /// Gives back one failure per ``failureRefill`` elapsed since `refillFrom`.
    private static func refill(_ state: inout State, at time: Timestamp) {
        guard let from = state.refillFrom, state.failures > 0 else { return }
        let elapsed = from.duration(to: time)
        guard elapsed >= failureRefill else { return }
        let returned = min(Int(elapsed / failureRefill), state.failures)
        state.failures -= returned
        state.refillFrom = state.failures == 0 ? nil : from.advanced(by: failureRefill * returned)
    }

    /// 64 lowercase hex digits: anything else is not an id this node gave out, and is not hashed.
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64
            && id.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func hash(_ id: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(id.utf8)))
    }
}
