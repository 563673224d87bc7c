import NIOCore
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTransport
import Testing

/// A certificate the federation CA signed but whose names make no usable system id must cost the
/// listener one refused connection and one log line, never the process.
@Suite("Peer certificates with unusable names", .timeLimit(.minutes(5)))
struct UnusableCertificateNameTests {
    @Test(arguments: UnusableNameCertificates.Case.allCases)
    func aCertificateWithAnUnusableNameIsRefusedAndTheListenerServesOn(_ kind: UnusableNameCertificates.Case)
        async throws
    {
        let log = CapturedLog()
        let identity = try UnusableNameCertificates.identity(kind)
        // A refused connection must be let go safely however its close interleaves with the
        // listener's task; many rounds exercise the interleavings.
        let attempts = 25
        try await withListener(logger: log.logger) { port, responder in
            for _ in 0..<attempts {
                let channel = try await rawConnection(port: port, tls: true, identity: identity)
                // Application data right behind the handshake, before the listener has decided.
                var frame = ByteBuffer()
                frame.writeInteger(UInt32(5))
                frame.writeString("hello")
                try? await channel.writeAndFlush(frame)
                try? await channel.writeAndFlush(frame)
                try await channel.closeFuture.get()
            }
            await responder.waitForFailures(attempts)
            #expect(await responder.frames.isEmpty)
            #expect(await responder.failedPeers == Array(repeating: nil, count: attempts))
            // One line per refused connection, naming the certificate's subject.
            let refusals = log.warnings
            #expect(refusals.count == attempts, "\(refusals)")
            #expect(refusals.allSatisfy { $0.contains(kind.subjectText) }, "\(refusals)")
            // The listener still serves a genuine peer.
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            let answer = try await dialer.request(Array("ok".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(String(decoding: answer, as: UTF8.self) == "system_a:ok")
            await dialer.shutdown()
        }
    }

    @Test(arguments: UnusableNameCertificates.Case.allCases)
    func theDialerRefusesAServerWithAnUnusableName(_ kind: UnusableNameCertificates.Case) async throws {
        try await withListener(identity: try UnusableNameCertificates.identity(kind)) { port, responder in
            let dialer = try makeDialer(try TestCertificates.identity("system_a"))
            await #expect(throws: TransportError.self) {
                _ = try await dialer.request(Array("x".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            }
            #expect(!(await dialer.isConnected(to: SystemID.systemB)))
            #expect(await responder.frames.isEmpty)
            await dialer.shutdown()
        }
    }
}
