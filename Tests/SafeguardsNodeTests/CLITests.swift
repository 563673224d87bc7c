import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// The `safeguards` binary against node processes: it finds its node through `--data-dir`, says
/// which URL and token it used when that fails, refuses bad amounts and port clashes clearly, and
/// exits with the outcome of a federation request.
@Suite("CLI", .timeLimit(.minutes(5)))
struct CLITests {
    static let token = "cli-test-token-0123456789"

    /// A node process with a pool and agent `a1`, whose data folder holds the token file a node
    /// writes when it generates its token; the body gets the folder, the port and a work folder.
    static func withNode(_ body: (String, Int, String) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory("safeguards-cli-node")
        let work = try makeTemporaryDirectory("safeguards-cli-work")
        let node = NodeProcess(dataDirectory: directory, token: token)
        do {
            let port = try await node.start()
            try (token + "\n").write(toFile: directory + "/api-token", atomically: true, encoding: .utf8)
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: token)
            _ = try await client.createPool(CreatePoolRequest(name: "research", initialBudget: 1000, priority: 7))
            await client.shutdown()
            try await body(directory, port, work)
        } catch {
            print(node.log)
            await node.kill()
            throw error
        }
        await node.kill(signal: SIGTERM)
    }

    @Test func dataDirAloneReachesTheNodeAtTheAddressItWrote() async throws {
        try await Self.withNode { directory, _, work in
            let run = try await CLIRun.run(["pool", "list", "--data-dir", directory], in: work)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("research"))
        }
    }

    @Test func aRefusedTokenNamesTheURLAndWhereTheTokenCameFrom() async throws {
        try await Self.withNode { directory, port, work in
            let byFlag = try await CLIRun.run(
                ["pool", "list", "--data-dir", directory, "--token", "wrong-token"], in: work)
            #expect(byFlag.status == 1)
            #expect(byFlag.stderr.contains("unauthorized"))
            #expect(byFlag.stderr.contains("http://127.0.0.1:\(port) (from \(directory)/api-address)"))
            #expect(byFlag.stderr.contains("token: from --token"))
            #expect(!byFlag.stderr.contains("Usage:"))

            let byEnvironment = try await CLIRun.run(
                ["pool", "list", "--data-dir", directory], in: work,
                environment: ["SAFEGUARDS_API_TOKEN": "wrong-token"])
            #expect(byEnvironment.status == 1)
            #expect(byEnvironment.stderr.contains("token: from SAFEGUARDS_API_TOKEN"))

            // The default folder ./.safeguards is the work folder's: no address there, no token.
            let noToken = try await CLIRun.run(["pool", "list", "--url", "http://127.0.0.1:\(port)"], in: work)
            #expect(noToken.status == 1)
            #expect(noToken.stderr.contains("http://127.0.0.1:\(port) (from --url)"))
            #expect(noToken.stderr.contains("token: none; no --token, SAFEGUARDS_API_TOKEN or ./.safeguards/api-token"))
        }
    }

    @Test func anUnreachableNodeIsNamedWithTheURLsSource() async throws {
        let work = try makeTemporaryDirectory("safeguards-cli-work")
        let port = try freeLoopbackPort()
        let run = try await CLIRun.run(
            ["pool", "list"], in: work,
            environment: ["SAFEGUARDS_URL": "http://127.0.0.1:\(port)", "SAFEGUARDS_API_TOKEN": "t"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("not reachable at http://127.0.0.1:\(port)"))
        #expect(run.stderr.contains("(from SAFEGUARDS_URL)"))
        #expect(run.stderr.contains("token: from SAFEGUARDS_API_TOKEN"))
    }

    @Test func aNegativeAmountIsRefusedAsAnAmount() async throws {
        let work = try makeTemporaryDirectory("safeguards-cli-work")
        for arguments in [
            ["reserve", "--agent", "a1", "--amount", "-3"], ["spend", "--agent", "a1", "--amount", "-3"],
            ["federation", "request", "--agent", "a1", "--from", "system_b", "--amount", "-3"],
            ["reserve", "--agent", "a1", "--amount", "0"],
        ] {
            let run = try await CLIRun.run(arguments, in: work)
            #expect(run.status != 0)
            #expect(run.stderr.contains("--amount: must be greater than zero"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Missing value"))
        }
        let budget = try await CLIRun.run(
            ["pool", "create", "--name", "p", "--budget", "-1", "--priority", "5"], in: work)
        #expect(budget.stderr.contains("--budget: must not be negative"), "\(budget.stderr)")
    }

    @Test func aPortClashNamesTheConfigKeyAndTheAddress() async throws {
        let held = try HeldPort()
        let directory = try makeTemporaryDirectory("safeguards-cli-clash")
        let certs = DevelopmentFederation.directory
        let api = """
            system_id: system_a
            data_dir: \(directory)/api
            api:
              listen: 127.0.0.1:\(held.port)
              token: \(Self.token)
            """
        try api.write(toFile: directory + "/api.yaml", atomically: true, encoding: .utf8)
        let apiRun = try await CLIRun.run(["node", "run", "--config", directory + "/api.yaml"], in: directory)
        #expect(apiRun.status == 1)
        #expect(apiRun.stderr.contains("error: api.listen 127.0.0.1:\(held.port) is in use"), "\(apiRun.stderr)")
        #expect(!apiRun.stderr.contains("Usage:"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/api/api-address"))

        let federation = """
            system_id: system_a
            data_dir: \(directory)/federation
            api:
              listen: 127.0.0.1:0
              token: \(Self.token)
            federation:
              listen: 127.0.0.1:\(held.port)
              ca: \(certs)/ca.pem
              certificate: \(certs)/system_a.pem
              private_key: \(certs)/system_a.key
              signing_key: \(certs)/system_a.signing.key
            """
        try federation.write(toFile: directory + "/federation.yaml", atomically: true, encoding: .utf8)
        let federationRun = try await CLIRun.run(
            ["node", "run", "--config", directory + "/federation.yaml"], in: directory)
        #expect(federationRun.status == 1)
        #expect(
            federationRun.stderr.contains("error: federation.listen 127.0.0.1:\(held.port) is in use"),
            "\(federationRun.stderr)")
    }

    @Test func aConfigThatCannotBeReadIsAnErrorWithoutUsage() async throws {
        let work = try makeTemporaryDirectory("safeguards-cli-work")
        let run = try await CLIRun.run(["node", "run", "--config", work + "/missing.yaml"], in: work)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: "), "\(run.stderr)")
        #expect(run.stderr.contains("missing.yaml"))
        #expect(!run.stderr.contains("Usage:"))
    }

    @Test func aFederationRequestExitsWithItsOutcome() async throws {
        try await Cluster.with { cluster in
            try await cluster.start("system_a")
            try await cluster.start("system_b")
            let client = try #require(cluster.clients["system_a"])
            _ = try await Fixture.make(client, agents: [("planner", "10")])
            let url = "http://\(client.endpoint.host):\(client.endpoint.port)"
            let work = try makeTemporaryDirectory("safeguards-cli-work")
            let common = ["--url", url, "--token", Cluster.token, "--agent", "planner"]
            // The exit codes are under test, not the first dial: a signed ping first opens system_a's
            // connection to system_b, so a loaded machine's slow first handshake is not taken for
            // an answer that did not come within `answer_wait`.
            #expect(try await eventually { (try? await client.ping(peer: "system_b")) != nil })

            let accepted = try await CLIRun.run(
                ["federation", "request"] + common + ["--from", "system_b", "--amount", "5"], in: work)
            #expect(accepted.status == 0, "\(accepted.stderr)")
            #expect(accepted.stdout.contains("accepted"))

            // Over system_b's per-request cap of 1000: rejected, nothing moves.
            let rejected = try await CLIRun.run(
                ["federation", "request"] + common + ["--from", "system_b", "--amount", "5000"], in: work)
            #expect(rejected.status == 3, "\(rejected.stdout) \(rejected.stderr)")
            #expect(rejected.stderr.contains("rejected by system_b: over_request_cap"))

            // system_c is not running: no answer yet.
            let pending = try await CLIRun.run(
                ["federation", "request"] + common + ["--from", "system_c", "--amount", "5"], in: work)
            #expect(pending.status == 4, "\(pending.stdout) \(pending.stderr)")
            #expect(pending.stderr.contains("pending"))
        }
    }
}
