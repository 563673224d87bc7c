import NIOCore
import SafeguardsCore
import SafeguardsFederation
import SafeguardsTransport
import Testing

/// The federation listener's own limits: a handshake has a deadline that trickled bytes do not
/// extend, and only so many connections are open at once.
@Suite("Federation listener limits", .timeLimit(.minutes(5)))
struct ListenerLimitTests {
    @Test func aTricklingHandshakeIsClosedAtTheHandshakeDeadline() async throws {
        // The idle timeout is far away: only the handshake deadline can end this connection.
        try await withListener(idleTimeout: .seconds(60), handshakeTimeout: .milliseconds(300)) { port, responder in
            let channel = try await rawConnection(port: port, tls: false, identity: nil)
            // A TLS handshake record announcing 16 KiB, then its body one byte at a time: the TLS
            // library keeps waiting for the rest, and every byte resets an idle timer.
            // On a slow machine the deadline may already have closed the connection before the
            // first byte goes out: a refused write is the same outcome, checked below.
            var header = ByteBuffer()
            header.writeBytes([0x16, 0x03, 0x01, 0x40, 0x00])
            try? await channel.writeAndFlush(header)
            var trickled = 0
            while channel.isActive, trickled < 400 {
                try? await channel.writeAndFlush(ByteBuffer(bytes: [0]))
                trickled += 1
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(!channel.isActive, "the handshake was still open after \(trickled) trickled bytes")
            await responder.waitForFailures(1)
            #expect(await responder.failedPeers == [nil])
        }
    }

    @Test func connectionsPastTheCapWaitWhileOpenOnesAreServed() async throws {
        try await withListener(maxConnections: 2) { port, responder in
            // Two connections fill the listener: a served dialer and a raw authenticated one.
            let served = try makeDialer(try TestCertificates.identity("system_a"))
            _ = try await served.request(Array("first".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            let filler = try await rawConnection(
                port: port, tls: true, identity: try TestCertificates.identity("system_a"))
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(4))
            frame.writeString("fill")
            try await filler.writeAndFlush(frame)
            for _ in 0..<500 where await responder.frames.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(await responder.frames.count == 2)

            // A third waits: not accepted, so neither its handshake nor its frame gets through. Its
            // dial may wait as long as its request, however slowly this machine gets to the close below.
            let waiting = try makeDialer(
                try TestCertificates.identity("system_c"), requestTimeout: .seconds(30), dialTimeout: .seconds(30))
            let third = Task {
                try await waiting.request(Array("third".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            }
            // The open connection is still served meanwhile.
            let again = try await served.request(
                Array("again".utf8), to: SystemID.systemB, host: "127.0.0.1", port: port)
            #expect(String(decoding: again, as: UTF8.self) == "system_a:again")
            // The third is never served while the cap holds; a while of polling would see it if it were.
            var servedThird = false
            for _ in 0..<50 where !servedThird {
                servedThird = await responder.frames.contains { $0.peer == SystemID.systemC }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!servedThird, "a connection past the cap was served")

            // One closes; the waiting connection is accepted and answered.
            try await filler.close()
            let answer = try await third.value
            #expect(String(decoding: answer, as: UTF8.self) == "system_c:third")
            await served.shutdown()
            await waiting.shutdown()
        }
    }
}
