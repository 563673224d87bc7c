import SafeguardsAPI
import Testing

/// How a client finds its node's URL and token, and what it says about where they came from.
@Suite("Node location")
struct NodeLocationTests {
    static func files(_ files: [String: String]) -> (String) -> String? { { files[$0] } }

    @Test func theAddressFileIsUsedWhenNoURLIsGiven() throws {
        let location = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "data", environment: [:],
            readFile: Self.files(["data/api-address": "127.0.0.1:8081\n", "data/api-token": "secret\n"]))
        #expect(location.endpoint == APIEndpoint(host: "127.0.0.1", port: 8081))
        #expect(location.urlSource == .addressFile("data/api-address"))
        #expect(location.token == "secret")
        #expect(location.tokenSource == .tokenFile("data/api-token"))
    }

    @Test func theFlagThenTheEnvironmentWinOverTheFiles() throws {
        let files = Self.files(["data/api-address": "127.0.0.1:8081", "data/api-token": "from-file"])
        let environment = ["SAFEGUARDS_URL": "http://127.0.0.1:9000", "SAFEGUARDS_API_TOKEN": "from-env"]
        let fromEnvironment = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "data", environment: environment, readFile: files)
        #expect(fromEnvironment.endpoint.port == 9000 && fromEnvironment.urlSource == .environment)
        #expect(fromEnvironment.token == "from-env" && fromEnvironment.tokenSource == .environment)
        let fromFlags = try NodeLocation.resolve(
            url: "http://localhost:7000", token: "from-flag", dataDirectory: "data", environment: environment,
            readFile: files)
        #expect(fromFlags.endpoint == APIEndpoint(host: "localhost", port: 7000) && fromFlags.urlSource == .flag)
        #expect(fromFlags.token == "from-flag" && fromFlags.tokenSource == .flag)
    }

    @Test func withoutFilesTheDefaultURLAndNoTokenAreNamed() throws {
        let location = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "data", environment: [:], readFile: { _ in nil })
        #expect(location.endpoint.description == APIEndpoint.defaultURL)
        #expect(location.token == nil)
        #expect(location.explanation.contains("the default; no --url, SAFEGUARDS_URL or data/api-address"))
        #expect(location.explanation.contains("none; no --token, SAFEGUARDS_API_TOKEN or data/api-token"))
    }

    @Test func aNodeListeningEverywhereIsReachedOnLoopback() throws {
        let v4 = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "d", environment: [:],
            readFile: Self.files(["d/api-address": "0.0.0.0:8080"]))
        #expect(v4.endpoint == APIEndpoint(host: "127.0.0.1", port: 8080))
        let v6 = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "d", environment: [:],
            readFile: Self.files(["d/api-address": "[::]:8080"]))
        #expect(v6.endpoint == APIEndpoint(host: "::1", port: 8080))
        #expect(v6.endpoint.description == "http://[::1]:8080")
    }

    @Test func anUnusableURLNamesWhereItCameFrom() {
        #expect(throws: NodeLocationError.self) {
            try NodeLocation.resolve(
                url: nil, token: nil, dataDirectory: "d", environment: [:],
                readFile: Self.files(["d/api-address": "garbage"]))
        }
        do {
            _ = try NodeLocation.resolve(
                url: "ftp://x:1", token: nil, dataDirectory: "d", environment: [:], readFile: { _ in nil })
            Issue.record("ftp was accepted")
        } catch {
            #expect(error.message.hasPrefix("--url: only http and https are supported"))
        }
        do {
            _ = try NodeLocation.resolve(
                url: nil, token: nil, dataDirectory: "d", environment: [:],
                readFile: Self.files(["d/api-address": "x:99999"]))
            Issue.record("a port outside 1-65535 was accepted")
        } catch {
            #expect(error.message.hasPrefix("d/api-address: "))
        }
    }

    @Test func anHTTPSAddressFileOrURLIsReachedOverTLS() throws {
        let written = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "d", environment: [:],
            readFile: Self.files(["d/api-address": "https://0.0.0.0:8443\n"]))
        #expect(written.endpoint == APIEndpoint(host: "127.0.0.1", port: 8443, isSecure: true))
        #expect(written.endpoint.description == "https://127.0.0.1:8443")
        let given = try NodeLocation.resolve(
            url: "https://localhost", token: nil, dataDirectory: "d", environment: [:], readFile: { _ in nil })
        #expect(given.endpoint == APIEndpoint(host: "localhost", port: 443, isSecure: true))
        let plain = try NodeLocation.resolve(
            url: nil, token: nil, dataDirectory: "d", environment: [:],
            readFile: Self.files(["d/api-address": "127.0.0.1:8081"]))
        #expect(!plain.endpoint.isSecure)
    }
}
