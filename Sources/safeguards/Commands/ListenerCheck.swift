import Foundation
import SafeguardsNode

/// Checks, before a node starts, that the addresses it will listen on are free, so a clash is
/// reported as the config key and address (`api.listen 127.0.0.1:8081 is in use`) before any
/// service starts and any peer is dialled.
///
/// Each address is bound once by a probe socket with `SO_REUSEADDR`, as the node's own listeners
/// are, and closed at once. A port taken in the instant between this check and the node's own bind
/// still fails the start, only with the listener's own message.
enum ListenerCheck {
    /// - Throws: ``CLIError`` naming the first config key whose address cannot be bound.
    static func run(_ config: NodeConfig) throws(CLIError) {
        var addresses = [("api.listen", config.api.listen)]
        if let federation = config.federation { addresses.append(("federation.listen", federation.listen)) }
        for (key, address) in addresses where address.port != 0 {
            if let problem = bindProblem(address) { throw CLIError("\(key) \(address) \(problem)") }
        }
    }

    /// Why `address` cannot be bound now (`"is in use"`), or nil when it can.
    static func bindProblem(_ address: HostPort) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &results)
        guard status == 0, let first = results else {
            return "cannot be resolved: \(String(cString: gai_strerror(status)))"
        }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry?.pointee {
            defer { entry = info.ai_next }
            let descriptor = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var reuse: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            if bind(descriptor, info.ai_addr, info.ai_addrlen) != 0 {
                let code = errno
                return code == EADDRINUSE ? "is in use" : "cannot be bound: \(String(cString: strerror(code)))"
            }
        }
        return nil
    }
}
