import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import SafeguardsAPI
import SafeguardsCore
import SafeguardsStore

/// The node's HTTP API: `/healthz`, `/metrics`, the status page at `/` behind its sign-in, and
/// everything under `/v1` behind the bearer token.
struct APIRoutes: Sendable {
    let operations: BudgetOperations
    let systemID: String
    let token: String
    let maxBodyBytes: Int
    let metadataLimit: MetadataLimit
    let metrics: NodeMetrics
    let peers: PeerRoutes
    let federation: FederationRoutes
    let policies: PolicyRoutes
    /// The scoped API keys (`/v1/api-keys`), which the access middleware consults.
    let keys: APIKeyRing
    let webhooks: WebhookRoutes
    /// The operator's status page at `/`, its sign-in and its data.
    let status: StatusRoutes

    func makeRouter() -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: ResponseMiddleware(metrics: metrics.requests))

        router.get("/healthz") { _, _ in
            JSONBody.response(HealthBody(status: "ok", systemID: systemID))
        }
        // The node's own figures are open to a scraper; the budgets of agents and pools are shown
        // only to one that sends the API token or an admin key (`authorization` in Prometheus'
        // scrape config).
        let access = AccessMiddleware<NodeRequestContext>(
            token: token, keys: keys, operations: operations, maxBodyBytes: maxBodyBytes)
        router.get("/metrics") { request, _ in
            await metrics.refresh(from: operations.writer)
            metrics.refreshWebhooks(from: operations.store)
            var buffer = ByteBuffer(bytes: metrics.registry.emitToBuffer())
            if access.isAdmin(request.headers[.authorization]) {
                let (pools, agents) = operations.writer.view { ($0.poolSnapshots(), $0.agentSnapshots()) }
                buffer.writeString(BudgetGauges.render(pools: pools, agents: agents))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: buffer))
        }
        status.add(to: router, access: access)

        let v1 = router.group("v1").add(middleware: access)
        APIKeyRoutes(keys: keys, operations: operations, maxBodyBytes: maxBodyBytes).add(to: v1)
        addPools(v1)
        addAgents(v1)
        addFundingAndClosing(v1)
        addReservations(v1)
        peers.add(to: v1)
        federation.add(to: v1)
        policies.add(to: v1)
        webhooks.add(to: v1)
        addTransferHistory(v1)
        v1.get("transfers/:id") { _, context in
            JSONBody.response(TransferBody(try await operations.transfer(try context.parameters.require("id"))))
        }
        v1.get("alerts") { request, _ in
            let page = try PageRequest(request, list: "alerts")
            let rows = try await operations.alerts(
                agent: request.uri.queryParameters["agent_id"].map(String.init), before: try page.afterSequence(),
                limit: page.limit + 1)
            let (alerts, next) = page.page(rows: rows)
            return JSONBody.response(AlertListBody(alerts: alerts.map(AlertBody.init), next: next))
        }
        v1.get("ledger/check") { request, _ in
            let full: Bool
            switch request.uri.queryParameters["full"].map(String.init) {
            case nil, "false": full = false
            case "true": full = true
            case let other?:
                throw SafeguardsError.invalidRequest("full must be true or false, not '\(other.prefix(16))'")
            }
            let check = try await operations.checkCheckpoint(full: full)
            var body = LedgerCheckBody(await operations.ledgerTotals())
            body.checkpoint = CheckpointCheckBody(check)
            return JSONBody.response(body)
        }
        v1.get("ledger/accounts") { request, _ in
            let page = try PageRequest(request, list: "accounts")
            let prefix = request.uri.queryParameters["prefix"].map(String.init) ?? ""
            let after = page.after
            let limit = page.limit
            // The matching accounts after the cursor are copied out of the committed view; sorting
            // them happens outside its lock, which the committer takes after every commit.
            let matching = operations.writer.view { book in
                book.accounts.values.filter { account in
                    account.id.rawValue.hasPrefix(prefix) && (after.map { account.id.rawValue > $0 } ?? true)
                }
            }
            // One more than the page, in id order.
            let entries = matching.sorted { $0.id < $1.id }.prefix(limit + 1).map {
                AccountBalancesBody.Entry(
                    id: $0.id.rawValue, balance: $0.postedBalance, debitsPending: $0.debitsPending,
                    creditsPending: $0.creditsPending)
            }
            let (accounts, next) = page.page(ascending: entries, key: \.id)
            return JSONBody.response(AccountBalancesBody(accounts: accounts, next: next))
        }
        return router
    }

    private func addPools(_ v1: RouterGroup<NodeRequestContext>) {
        v1.post("pools") { request, _ in
            let body = try await JSONBody.decode(CreatePoolRequest.self, from: request, limit: maxBodyBytes)
            try metadataLimit.check(body.metadata)
            let (pool, replayed) = try await operations.createPool(body)
            return Self.created(PoolBody(pool), replayed: replayed)
        }
        v1.get("pools") { request, _ in
            let page = try PageRequest(request, list: "pools")
            let (pools, next) = page.page(ascending: await operations.pools(), key: \.pool.name)
            return JSONBody.response(PoolListBody(pools: pools.map(PoolBody.init), next: next))
        }
        v1.get("pools/:id") { _, context in
            JSONBody.response(PoolBody(try await operations.pool(try context.parameters.require("id"))))
        }
        v1.put("pools/:id/period") { request, context in
            let body = try await JSONBody.decode(PeriodRequest.self, from: request, limit: maxBodyBytes)
            return JSONBody.response(PoolBody(try await operations.setPoolPeriod(try context.parameters.require("id"), body)))
        }
    }

    private func addAgents(_ v1: RouterGroup<NodeRequestContext>) {
        v1.post("agents") { request, _ in
            let body = try await JSONBody.decode(RegisterAgentRequest.self, from: request, limit: maxBodyBytes)
            let (agent, replayed) = try await operations.registerAgent(body)
            return Self.created(AgentBody(agent), replayed: replayed)
        }
        v1.get("agents") { request, _ in
            let page = try PageRequest(request, list: "agents")
            let (items, more) = try await operations.agents(
                pool: request.uri.queryParameters["pool_id"].map(String.init), after: page.after, limit: page.limit)
            let next = more ? items.last.map { page.cursor(after: $0.agent.id.rawValue) } : nil
            return JSONBody.response(AgentListBody(agents: items.map(AgentBody.init), next: next))
        }
        v1.get("agents/:id") { _, context in
            JSONBody.response(AgentBody(try await operations.agent(try context.parameters.require("id"))))
        }
        v1.put("agents/:id/budget") { request, context in
            let body = try await JSONBody.decode(UpdateBudgetRequest.self, from: request, limit: maxBodyBytes)
            let agent = try await operations.updateBudget(agent: try context.parameters.require("id"), body)
            return JSONBody.response(AgentBody(agent))
        }
        v1.post("agents/:id/spend") { request, context in
            let body = try await JSONBody.decode(SpendRequest.self, from: request, limit: maxBodyBytes)
            try SpendMetadata.check(body.metadata, limit: metadataLimit)
            let (transfer, replayed) = try await operations.spend(
                agent: try context.parameters.require("id"), body,
                caller: CallerNote(actor: APICaller.actor, metadata: body.metadata ?? [:]))
            return Self.created(TransferBody(transfer), replayed: replayed)
        }
    }

    private func addReservations(_ v1: RouterGroup<NodeRequestContext>) {
        v1.post("agents/:id/reservations") { request, context in
            let body = try await JSONBody.decode(ReserveRequest.self, from: request, limit: maxBodyBytes)
            try SpendMetadata.check(body.metadata, limit: metadataLimit)
            let (transfer, replayed) = try await operations.reserve(
                agent: try context.parameters.require("id"), body,
                caller: CallerNote(actor: APICaller.actor, metadata: body.metadata ?? [:]))
            return Self.created(ReservationBody(transfer), replayed: replayed)
        }
        v1.get("reservations/:id") { _, context in
            JSONBody.response(ReservationBody(try await operations.reservation(try context.parameters.require("id"))))
        }
        v1.post("reservations/:id/settle") { request, context in
            let body = try await JSONBody.decode(SettleRequest.self, from: request, limit: maxBodyBytes)
            let (transfer, _) = try await operations.settle(
                reservation: try context.parameters.require("id"), amount: body.amount)
            return JSONBody.response(ReservationBody(transfer))
        }
        v1.post("reservations/:id/release") { _, context in
            let (transfer, _) = try await operations.release(reservation: try context.parameters.require("id"))
            return JSONBody.response(ReservationBody(transfer))
        }
    }

    /// 201 with the body; a replay of an earlier request says so in `Idempotent-Replayed`.
    static func created(_ body: some JSONWritable, replayed: Bool) -> Response {
        JSONBody.response(body, status: .created, headers: replayed ? replayedHeaders : JSONBody.jsonHeaders)
    }

    /// ``created(_:replayed:)`` for a body encoded by `Codable`.
    static func created<T: Encodable>(_ body: T, replayed: Bool) -> Response {
        JSONBody.response(body, status: .created, headers: replayed ? replayedHeaders : JSONBody.jsonHeaders)
    }

    private static let replayedHeaders: HTTPFields = {
        var headers = JSONBody.jsonHeaders
        headers[.idempotentReplayed] = "true"
        return headers
    }()
}

extension HTTPField.Name {
    /// `Idempotent-Replayed: true` marks the answer to a replay of an earlier request. Made once:
    /// a name built per response is checked and lowercased each time.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!  // a valid token: cannot fail
}
