import Crypto
import Foundation

/// The signature a receiver checks: `Safeguards-Signature: sha256=<hex>`, the HMAC-SHA256 of
/// `"<timestamp>.<body>"` keyed with the webhook's secret, where the timestamp is the
/// `Safeguards-Timestamp` header (unix seconds) and the body the exact bytes sent. Signing the
/// timestamp lets a receiver refuse old replays; see the README's "Webhooks" for the recipe.
public enum WebhookSignature {
    /// The header value for `body` sent at `timestamp` (unix seconds) with `secret`.
    public static func header(secret: String, timestamp: Int64, body: some Collection<UInt8>) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}
