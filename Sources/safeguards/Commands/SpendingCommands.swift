import ArgumentParser
import SafeguardsAPI
import SafeguardsCore

// The calls an agent makes around each costly operation: reserve then settle (or release),
// or spend in one step.

/// `safeguards reserve --agent A --amount 5 [--timeout 60]`
struct ReserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve budget for an operation; prints the reservation id.",
        discussion: """
            The reserved amount counts against the agent's budget at once. Settle it with the real \
            cost (the rest is released) or release it; unsettled reservations expire after the timeout.
            """)

    @OptionGroup var api: APIOptions

    @Option(help: "The agent's id.")
    var agent: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How much to reserve, a decimal amount.", valueName: "amount"))
    var amount: String

    @Option(
        help: ArgumentHelp("Seconds until the reservation expires (default: the node's setting).", valueName: "seconds")
    )
    var timeout: Int64?

    @Option(
        help: ArgumentHelp("Makes the request safe to retry: the same key returns the first result.", valueName: "key"))
    var idempotencyKey: String?

    func validate() throws { _ = try request() }

    func request() throws(ValidationError) -> ReserveRequest {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout: must be a positive number of seconds") }
        return ReserveRequest(
            amount: try ValueParsing.amount(amount, option: "--amount", rule: .positive),
            idempotencyKey: idempotencyKey,
            timeoutSeconds: timeout)
    }

    func run() async throws {
        let request = try request()
        let reservation = try await api.withClient { client in try await client.reserve(agent: agent, request) }
        // Only the id on stdout, so scripts can write `id=$(safeguards reserve ...)`.
        try api.output(reservation) { reservation.reservationID }
    }
}

/// `safeguards settle RESERVATION --amount 3.2`
struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle", abstract: "Settle a reservation with the real cost; the rest is released.")

    @OptionGroup var api: APIOptions

    @Argument(help: "The reservation id that `reserve` printed.")
    var reservation: String

    @Option(
        parsing: .unconditional, help: ArgumentHelp("The real cost, at most the reserved amount.", valueName: "amount"))
    var amount: String

    func validate() throws { _ = try cost() }

    func cost() throws(ValidationError) -> Amount {
        try ValueParsing.amount(amount, option: "--amount", rule: .positive)
    }

    func run() async throws {
        let cost = try cost()
        let body = try await api.withClient { client in try await client.settle(reservation: reservation, amount: cost)
        }
        try api.output(body) {
            let released = (try? body.amount.subtracting(body.settledAmount)) ?? .zero
            return "settled \(body.reservationID) for agent \(body.agentID): spent \(body.settledAmount)"
                + " of \(body.amount) reserved, \(released) released"
        }
    }
}

/// `safeguards release RESERVATION`
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Release a reservation unused; its amount returns to the agent.")

    @OptionGroup var api: APIOptions

    @Argument(help: "The reservation id that `reserve` printed.")
    var reservation: String

    func run() async throws {
        let body = try await api.withClient { client in try await client.release(reservation: reservation) }
        try api.output(body) {
            "released \(body.reservationID): \(body.amount) back to agent \(body.agentID)"
        }
    }
}

/// `safeguards spend --agent A --amount 2`
struct SpendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spend", abstract: "Spend from an agent's budget in one step (reserve and settle).")

    @OptionGroup var api: APIOptions

    @Option(help: "The agent's id.")
    var agent: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How much to spend, a decimal amount.", valueName: "amount"))
    var amount: String

    @Option(help: ArgumentHelp("Makes the request safe to retry: the same key is charged once.", valueName: "key"))
    var idempotencyKey: String?

    func validate() throws { _ = try request() }

    func request() throws(ValidationError) -> SpendRequest {
        SpendRequest(
            amount: try ValueParsing.amount(amount, option: "--amount", rule: .positive), idempotencyKey: idempotencyKey
        )
    }

    func run() async throws {
        let request = try request()
        let transfer = try await api.withClient { client in try await client.spend(agent: agent, request) }
        try api.output(transfer) {
            "spent \(transfer.amount) from agent \(agent) (transfer \(transfer.id))"
        }
    }
}
