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
/// Failed sign-ins draw from a bucket of ``failureBurst`` tries per client address, refilled one
/// try every ``failureRefill``: a guesser gets about ten tries a minute from each address however
/// many connections it opens. While its bucket is empty every sign-in from that address is
/// refused unchecked, the right token too, so waiting is the only way on; an operator at another
/// address signs in meanwhile (the API itself is not affected). At most ``trackedSources``
/// addresses have buckets of their own: past that, addresses without one share a single bucket,
/// so a guesser with many addresses gets no more tries than one and the table stays bounded.
/// Behind a proxy every client has the proxy's address and shares its bucket.
final class StatusSessions: Sendable {
    /// How long a session lasts from sign-in.
    static let lifetime: Duration = .seconds(12 * 3600)
    /// Most sessions held at once.
    static let capacity = 256
    /// Failed sign-ins allowed in a burst, and the time that gives one back.
    static let failureBurst = 10
    static let failureRefill: Duration = .seconds(6)
    /// Client addresses with a bucket of their own, at most.
    static let trackedSources = 1024
    /// The key of the bucket that addresses past ``trackedSources`` share.
    static let sharedSource = "*"

    /// Who signed in: the configured token, or an admin key by id (checked again at every use,
    /// so revoking the key ends its sessions).
    struct Session: Sendable, Equatable {
        /// `admin-token` or the admin key's id.
        var actor: String
        var expiresAt: Timestamp
    }

    /// Failed sign-ins that count against a bucket, and when the oldest of them is given back.
    private struct Bucket {
        var failures = 0
        var refillFrom: Timestamp?
    }

    private struct State {
        var sessions: [[UInt8]: Session] = [:]
        /// By client address, plus ``sharedSource`` once the table is full.
        var buckets: [String: Bucket] = [:]
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

    /// Whether a sign-in from `source` (a client address) may be checked now; when not, how long
    /// until one may.
    func signInAllowed(from source: String) -> Duration? {
        let time = now()
        return state.withLock { state in
            let key = Self.bucketKey(for: source, in: &state, at: time)
            guard var bucket = state.buckets[key] else { return nil }
            Self.refill(&bucket, at: time)
            state.buckets[key] = bucket.failures == 0 ? nil : bucket
            guard bucket.failures >= Self.failureBurst, let from = bucket.refillFrom else { return nil }
            return time.duration(to: from.advanced(by: Self.failureRefill))
        }
    }

    /// Counts a failed sign-in from `source` against its bucket.
    func recordFailure(from source: String) {
        let time = now()
        state.withLock { state in
            let key = Self.bucketKey(for: source, in: &state, at: time)
            var bucket = state.buckets[key] ?? Bucket()
            Self.refill(&bucket, at: time)
            if bucket.failures == 0 { bucket.refillFrom = time }
            bucket.failures = min(bucket.failures + 1, Self.failureBurst)
            state.buckets[key] = bucket
        }
    }

    /// Client addresses holding a bucket now (the shared one included), for tests.
    var trackedSourceCount: Int { state.withLock { $0.buckets.count } }

    /// `source` when it has a bucket or there is room for one; else ``sharedSource``. Making room
    /// drops the buckets that have refilled completely.
    private static func bucketKey(for source: String, in state: inout State, at time: Timestamp) -> String {
        if state.buckets[source] != nil { return source }
        if state.buckets.count >= trackedSources {
            state.buckets = state.buckets.filter { _, bucket in
                var bucket = bucket
                refill(&bucket, at: time)
                return bucket.failures > 0
            }
        }
        let own = state.buckets.count - (state.buckets[sharedSource] == nil ? 0 : 1)
        return own < trackedSources ? source : sharedSource
    }

    /// Gives back one failure per ``failureRefill`` elapsed since `refillFrom`.
    private static func refill(_ bucket: inout Bucket, at time: Timestamp) {
        guard let from = bucket.refillFrom, bucket.failures > 0 else { return }
        let elapsed = from.duration(to: time)
        guard elapsed >= failureRefill else { return }
        let returned = min(Int(elapsed / failureRefill), bucket.failures)
        bucket.failures -= returned
        bucket.refillFrom = bucket.failures == 0 ? nil : from.advanced(by: failureRefill * returned)
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
