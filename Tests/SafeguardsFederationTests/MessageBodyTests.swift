import SafeguardsFederation
import Testing

@Suite("Message bodies")
struct MessageBodyTests {
    @Test("an error body is JSON with sorted keys and round trips")
    func errorBodyJSON() throws {
        let body = ErrorBody(code: .replayed, message: "nonce seen")
        let bytes = try body.encodedBody()
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"code":"replayed","message":"nonce seen"}"#)
        #expect(try ErrorBody(decodingBody: bytes) == body)
        #expect(ErrorBody.messageType == .error)
    }

    @Test("every reject code has its documented wire name")
    func rejectCodeNames() {
        let codes: [RejectCode] = [
            .unsupportedVersion, .unknownType, .invalidSignature, .replayed, .stale, .unknownPeer, .identityMismatch,
            .malformed,
        ]
        #expect(
            codes.map(\.rawValue) == [
                "unsupported_version", "unknown_type", "invalid_signature", "replayed", "stale", "unknown_peer",
                "identity_mismatch", "malformed",
            ])
    }

    @Test("a code from a newer peer survives decoding")
    func unknownCodeSurvives() throws {
        let body = try ErrorBody(decodingBody: Array(#"{"code":"rate_limited","message":"slow down","extra":1}"#.utf8))
        #expect(body.code.rawValue == "rate_limited")
    }

    @Test("ping and pong carry the payload, and a pong answers only its ping")
    func pingPong() throws {
        let ping = PingBody(payload: "42")
        #expect(String(decoding: try ping.encodedBody(), as: UTF8.self) == #"{"payload":"42"}"#)
        let pong = try PongBody(decodingBody: ping.pong.encodedBody())
        #expect(pong.answers(ping))
        #expect(!pong.answers(PingBody(payload: "43")))
        #expect(PingBody.messageType == .ping && PongBody.messageType == .pong)
        #expect(MessageType.known == [.ping, .pong, .error])
    }

    @Test("bodies that are not the expected JSON are refused as malformed")
    func malformedBodiesAreRefused() {
        for text in ["", "{", "[]", #"{"payload":1}"#, #"{"code":"x"}"#] {
            #expect(throws: WireError.self) { try ErrorBody(decodingBody: Array(text.utf8)) }
            #expect {
                try PingBody(decodingBody: Array(text.utf8))
            } throws: { error in
                guard case .malformedBody(.ping, _) = error as? WireError else { return false }
                return true
            }
        }
    }

    @Test("a wire error becomes a malformed error body with a readable message")
    func wireErrorBecomesErrorBody() {
        let body = ErrorBody(WireError.wrongNonceLength(3))
        #expect(body.code == .malformed)
        #expect(body.message == "the nonce is 3 bytes long; it must be 16")
    }
}

@Suite("Message bodies with a key twice")
struct MessageBodyDuplicateKeyTests {
    @Test func aKeyTwiceIsMalformedInEveryBody() {
        let bodies: [(any MessageBody.Type, String)] = [
            (PingBody.self, #"{"payload":"1","payload":"2"}"#),
            (ErrorBody.self, #"{"code":"malformed","message":"a","\u006dessage":"b"}"#),
            (
                RemoteTransferRequest.self,
                #"{"agent_id":"x","amount":"1","amount":"1000","giver":"b","metadata":{},"requester":"a","transaction_id":"t"}"#
            ),
            (GossipDigestBody.self, #"{"digest":{"system_a":{"generation":1,"version":1},"system_a":{"generation":9,"version":9}}}"#),
        ]
        for (type, text) in bodies {
            do throws(WireError) {
                _ = try type.init(decodingBody: Array(text.utf8))
                Issue.record("\(type) took \(text)")
            } catch {
                #expect(error.rejectCode == .malformed)
                #expect("\(error)".contains("duplicate key"), "\(error)")
            }
        }
    }
}
