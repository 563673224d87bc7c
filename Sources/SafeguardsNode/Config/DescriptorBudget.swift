#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Fits the listeners' connection caps to the process's file descriptor limit, so a flood of
/// connections meets a cap (and waits in the backlog) before the process runs out of descriptors.
///
/// Rules:
/// - `reserved` descriptors are kept for everything that is not an accepted connection: SQLite
///   and its WAL, log output, event loops, connections the node dials to peers, outbound HTTP,
///   and the few connections a listener may accept in the batch that reaches its cap.
/// - The rest is shared by the API and federation listeners. When both caps fit they stay as
///   configured; otherwise both are scaled down in proportion (at least 1 each), and the node
///   logs the caps it lowered.
/// - The soft limit is raised to the hard limit first (``raiseSoftLimitToHard()``, called by
///   `safeguards node run`), so the caps are lowered only where the hard limit is low.
public enum DescriptorBudget {
    /// Descriptors kept for everything but accepted connections.
    public static let reserved = 128

    /// The caps that fit `limit` descriptors: `(api, federation)`.
    public static func caps(api: Int, federation: Int?, limit: Int, reserved: Int = reserved) -> (
        api: Int, federation: Int?
    ) {
        let available = max(2, limit - reserved)
        let wanted = api + (federation ?? 0)
        guard wanted > available else { return (api, federation) }
        guard let federation else { return (min(api, available), nil) }
        let federationShare = max(1, min(federation, federation * available / wanted))
        return (max(1, min(api, available - federationShare)), federationShare)
    }

    /// The process's soft limit on open descriptors, or nil when it cannot be read or is unlimited.
    public static func softLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return nil
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft descriptor limit to the hard limit. Returns the soft limit in force
    /// afterwards (nil when it cannot be read or is unlimited); a failed raise keeps the old one.
    @discardableResult
    public static func raiseSoftLimitToHard() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
        }
        return softLimit()
    }

    /// `config` with its connection caps fitted to the current soft limit; logs each cap lowered.
    public static func fitted(_ config: NodeConfig, logger: Logger) -> NodeConfig {
        guard let limit = softLimit() else { return config }
        var config = config
        let caps = caps(api: config.api.maxConnections, federation: config.federation?.maxConnections, limit: limit)
        if caps.api < config.api.maxConnections {
            logger.warning(
                "api.max_connections lowered to fit the descriptor limit",
                metadata: [
                    "api.max_connections": "\(caps.api)", "configured": "\(config.api.maxConnections)",
                    "descriptor_limit": "\(limit)",
                ])
            config.api.maxConnections = caps.api
        }
        if let federation = caps.federation, let configured = config.federation?.maxConnections,
            federation < configured
        {
            logger.warning(
                "federation.max_connections lowered to fit the descriptor limit",
                metadata: [
                    "federation.max_connections": "\(federation)", "configured": "\(configured)",
                    "descriptor_limit": "\(limit)",
                ])
            config.federation?.maxConnections = federation
        }
        return config
    }
}
