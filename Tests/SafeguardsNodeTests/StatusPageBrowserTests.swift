import Foundation
import SafeguardsAPI
import SafeguardsCore
import Testing

/// The status page as a person sees it: headless Chromium opens the sign-in form of system_a
/// (federated with system_b), types the token, submits, and reads the signed-in page's DOM:
/// the federation and sync sections name the peer and its state, and the page's script
/// refreshes itself from `/status.json`. Skipped, with a notice, where Chromium is not installed.
@Suite("Status page in a browser")
struct StatusPageBrowserTests {
    /// Where the test leaves its screenshot of the signed-in page.
    static let screenshotPath = NSTemporaryDirectory() + "safeguards-status-page.png"

    @Test func theSignedInPageShowsTheFederationAndRefreshesItself() async throws {
        guard let executable = HeadlessBrowser.executable() else {
            print("notice: chromium is not on PATH; the status page browser test is skipped (.ci/run installs it)")
            return
        }
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA, agent: "coder")
            let answer = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(agentID: "coder", remoteSystemID: "system_b", amount: 40))
            #expect(answer.status == "accepted")
            _ = try await clientA.spend(agent: "coder", SpendRequest(amount: 130))
            let frozen = try await clientA.createPool(CreatePoolRequest(name: "on-hold", initialBudget: 50, priority: 2))
            _ = try await clientA.freeze(pool: frozen.id)
            _ = try await clientA.synchronize()
            _ = try await clientB.synchronize()
            #expect(try await eventually { try await clientA.syncStatus().peers.first?.state == "alive" })

            let browser = try HeadlessBrowser(executable: executable)
            defer { browser.close() }
            try browser.openPage()
            let base = clientA.endpoint.description
            try browser.navigate(base + "/")
            #expect(try await browser.waitFor("document.readyState === 'complete' && !!document.getElementById('signin')"))
            // No session yet: the form, and nothing of the budgets.
            #expect(try browser.evaluate("document.getElementById('sync') === null") as? Bool == true)
            _ = try browser.evaluate(
                "document.getElementById('token').value = \(Self.jsString(TestNode.token)); "
                    + "document.getElementById('signin').requestSubmit(); true")
            let signedIn = try await browser.waitFor("!!document.getElementById('sync')")
            #expect(signedIn, "the sign-in did not lead to the page: \(String(describing: try? browser.evaluate("document.body.innerText")))")
            guard signedIn else { return }
            // The session cookie is HttpOnly: the page's script cannot read it.
            #expect(try browser.evaluate("document.cookie") as? String == "")

            // On a loaded machine a gossip round can time out and show the peer `suspect` until the
            // next round answers; the page's own refresh then shows it alive again.
            _ = try await browser.waitFor("document.getElementById('sync').innerText.includes('alive')", attempts: 600)
            let sync = try #require(try browser.evaluate("document.getElementById('sync').innerText") as? String)
            #expect(sync.contains("system_b"))
            #expect(sync.contains("alive"))
            #expect(sync.contains("0.8"))
            let pools = try #require(try browser.evaluate("document.getElementById('federated-pools').innerText") as? String)
            #expect(pools.contains("cross_system_pool") && pools.contains("system_b") && pools.contains("1600.000000"))
            let lines = try #require(try browser.evaluate("document.getElementById('credit-lines').innerText") as? String)
            #expect(lines.contains("system_b") && lines.contains("40.000000") && lines.contains("1600.000000"))
            let transactions = try #require(
                try browser.evaluate("document.getElementById('federation-transactions').innerText") as? String)
            #expect(transactions.contains("accepted") && transactions.contains("coder"))
            let agents = try #require(try browser.evaluate("document.getElementById('agents').innerText") as? String)
            #expect(agents.contains("coder") && agents.contains("critical"))
            let frozenText = try #require(try browser.evaluate("document.getElementById('frozen-pools').innerText") as? String)
            #expect(frozenText.contains("on-hold"))

            // The script refreshes the sections in place: the generated time moves, no reload.
            // Refreshes may already have run (the wait for `alive` above waits on them): the count
            // and the time are taken together, and one more refresh is waited for.
            _ = try browser.evaluate(
                "window.notReloaded = true; "
                    + "window.refreshesBefore = Number(document.getElementById('generated').dataset.refreshes || 0); "
                    + "window.generatedBefore = document.getElementById('generated').textContent; true")
            #expect(
                try await browser.waitFor(
                    "Number(document.getElementById('generated').dataset.refreshes || 0) > window.refreshesBefore",
                    attempts: 200))
            #expect(
                try browser.evaluate("document.getElementById('generated').textContent !== window.generatedBefore")
                    as? Bool == true)
            #expect(try browser.evaluate("window.notReloaded === true") as? Bool == true)
            #expect(try browser.evaluate("document.getElementById('live').textContent") as? String == "live")
            #expect(try browser.evaluate("document.getElementById('sync').innerText.includes('system_b')") as? Bool == true)

            try browser.screenshot().write(to: URL(fileURLWithPath: Self.screenshotPath))
            print("status page screenshot: \(Self.screenshotPath)")
        }
    }

    /// `text` as a JavaScript string literal.
    static func jsString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
