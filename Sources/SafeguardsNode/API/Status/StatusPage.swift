/// The status page's HTML: the sign-in form, and the signed-in page that renders a
/// ``StatusView`` once on the server and then refreshes its sections from `/status.json`.
///
/// Everything that came from outside (names, ids, reasons, errors) is escaped here, and the
/// script writes text only through `textContent`: no markup is ever built from data. The style
/// and the script are inline and carry the response's nonce, which its Content-Security-Policy
/// names; the page loads nothing from anywhere else, so it works offline.
enum StatusPage {
    /// The sign-in page: the node's name and health, the form, and `message` when a sign-in failed.
    static func signIn(systemID: String, message: String?, nonce: String) -> String {
        head(title: "Safeguards \(escape(systemID)): sign in", nonce: nonce)
            + """
            <body class="signin"><header><h1>Safeguards node <code>\(escape(systemID))</code></h1>
            <p class="meta">Health: <b class="good" id="health">ok</b></p></header>
            <main><form method="post" action="/login" id="signin">
            <label for="token">API token or admin key</label>
            <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
            <button type="submit">Sign in</button></form>
            """
            + (message.map { "<p class=\"error\" id=\"signin-error\">\(escape($0))</p>" } ?? "")
            + "<p class=\"note\">The page shows pools, agents, budgets and the federation to the API token or an "
            + "admin key. The session lasts 12 hours or until you sign out.</p></main></body></html>"
    }

    /// The signed-in page.
    static func render(_ view: StatusView, nonce: String) -> String {
        var html = head(title: "Safeguards \(escape(view.systemID))", nonce: nonce)
        html += """
            <body><header><h1>Safeguards node <code>\(escape(view.systemID))</code></h1>
            <p class="meta">Generated <time id="generated" data-refreshes="0" data-every="\(view.refreshSeconds)">\
            \(escape(view.generatedAt))</time> · refreshes every \(view.refreshSeconds) s · \
            <span id="live" class="muted">not refreshed yet</span></p>
            <form method="post" action="/logout" id="signout"><button type="submit">Sign out</button></form></header>
            <ul id="summary">
            """
        for cell in view.summary { html += "<li\(classes(cell))>\(escape(cell.text))</li>" }
        html += "</ul><nav>"
        html += view.sections.map { "<a href=\"#\(escape($0.id))\">\(escape($0.title))</a>" }.joined(separator: " ")
        html += "</nav><main>"
        for section in view.sections { html += render(section) }
        return html + "</main><script nonce=\"\(nonce)\">\(script)</script></body></html>"
    }

    /// One section, as the script's `section` function builds it.
    static func render(_ section: StatusView.Section) -> String {
        var html = "<section id=\"\(escape(section.id))\"><h2>\(escape(section.title))</h2>"
        if section.rows.isEmpty {
            html += "<p class=\"empty\">\(escape(section.empty))</p>"
        } else {
            html += "<table><thead><tr>"
            // A column of amounts or counts is right-aligned, its heading too.
            let first = section.rows[0]
            for (index, column) in section.columns.enumerated() {
                html += index < first.count && first[index].numeric ? "<th class=\"num\">" : "<th>"
                html += "\(escape(column))</th>"
            }
            html += "</tr></thead><tbody>"
            for row in section.rows {
                html += "<tr>"
                for cell in row { html += "<td\(classes(cell))>\(escape(cell.text))</td>" }
                html += "</tr>"
            }
            html += "</tbody></table>"
        }
        if let note = section.note { html += "<p class=\"note\">\(escape(note))</p>" }
        return html + "</section>"
    }

    private static func classes(_ cell: StatusView.Cell) -> String {
        let names = [cell.tone?.rawValue, cell.numeric ? "num" : nil].compactMap { $0 }
        return names.isEmpty ? "" : " class=\"\(names.joined(separator: " "))\""
    }

    private static func head(title: String, nonce: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(title)</title>\
        <style nonce="\(nonce)">\(style)</style></head>
        """
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8;font-size:14px}\
        header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;flex-wrap:wrap;align-items:center;gap:4px 24px}\
        header h1{font-size:20px;margin:0;font-weight:600}header code{color:#9fd3ff}\
        header .meta{margin:0;color:#c9d1dc;flex:1}header form{margin:0}\
        button{font:inherit;padding:5px 14px;border-radius:4px;border:1px solid #8a94a6;background:#fff;cursor:pointer}\
        #summary{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:16px 24px 0;padding:0}\
        #summary li{background:#fff;border:1px solid #d6dae1;border-radius:14px;padding:4px 12px}\
        nav{margin:10px 24px 0;font-size:13px}nav a{margin-right:12px;color:#2455a4}\
        main{padding:0 24px 24px}section{background:#fff;border:1px solid #d6dae1;border-radius:6px;margin:16px 0;\
        padding:8px 16px 12px;overflow-x:auto}h2{font-size:16px;margin:6px 0 10px}\
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #e8ebef;\
        text-align:left;vertical-align:top}th{font-weight:600;color:#4a5468;font-size:12px;background:#f0f2f5}\
        td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}tbody tr:hover{background:#f7f9fc}\
        .good{color:#0a7d28;font-weight:600}.warn{background:#fff4d6;color:#8a5a00;font-weight:600}\
        .bad{background:#fde3e4;color:#b00020;font-weight:600}.muted{color:#8a94a6}\
        header .good,#summary .good{color:#0a7d28}#live.bad{background:#fde3e4}\
        .note,.empty{color:#5b6579;font-size:12px;margin:8px 0 0}.error{color:#b00020;font-weight:600}\
        body.signin main{max-width:420px;margin:48px auto;background:#fff;border:1px solid #d6dae1;border-radius:6px;\
        padding:24px}body.signin label{display:block;font-weight:600;margin-bottom:6px}\
        body.signin input{width:100%;box-sizing:border-box;font:inherit;padding:6px;margin-bottom:12px}
        """

    /// Fetches `/status.json` every `data-every` seconds and rebuilds each section with DOM calls
    /// and `textContent`; a 401 (the session ended) reloads into the sign-in form.
    static let script = """
        (function () {
          "use strict";
          var generated = document.getElementById("generated");
          var live = document.getElementById("live");
          var every = Number(generated.getAttribute("data-every")) * 1000;
          var refreshes = 0;
          function el(tag, cls, text) {
            var node = document.createElement(tag);
            if (cls) node.className = cls;
            if (text !== undefined) node.textContent = text;
            return node;
          }
          function cellClass(cell) {
            return [cell.tone || "", cell.numeric ? "num" : ""].join(" ").trim();
          }
          function section(s) {
            var node = el("section");
            node.id = s.id;
            node.appendChild(el("h2", "", s.title));
            if (s.rows.length === 0) {
              node.appendChild(el("p", "empty", s.empty));
            } else {
              var table = el("table"), head = el("tr"), body = el("tbody");
              s.columns.forEach(function (c, i) {
                head.appendChild(el("th", s.rows[0][i] && s.rows[0][i].numeric ? "num" : "", c));
              });
              table.appendChild(el("thead")).appendChild(head);
              table.appendChild(body);
              s.rows.forEach(function (row) {
                var tr = body.appendChild(el("tr"));
                row.forEach(function (cell) { tr.appendChild(el("td", cellClass(cell), cell.text)); });
              });
              node.appendChild(table);
            }
            if (s.note) node.appendChild(el("p", "note", s.note));
            return node;
          }
          function paint(view) {
            generated.textContent = view.generated_at;
            var summary = document.getElementById("summary");
            summary.replaceChildren.apply(summary, view.summary.map(function (c) { return el("li", cellClass(c), c.text); }));
            view.sections.forEach(function (s) {
              var old = document.getElementById(s.id);
              if (old) old.replaceWith(section(s)); else document.querySelector("main").appendChild(section(s));
            });
            refreshes += 1;
            generated.setAttribute("data-refreshes", String(refreshes));
            live.textContent = "live";
            live.className = "good";
          }
          function refresh() {
            fetch("/status.json", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
              .then(function (response) {
                if (response.status === 401) { location.reload(); throw new Error("signed out"); }
                if (!response.ok) throw new Error("HTTP " + response.status);
                return response.json();
              })
              .then(paint)
              .catch(function (error) { live.textContent = "stale: " + error.message; live.className = "bad"; })
              .then(function () { setTimeout(refresh, every); });
          }
          setTimeout(refresh, every);
        })();
        """

    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
