"""The few pages a browser sees: hosted checkout, customer portal, hosted invoice, receipt.

Plain HTML with forms, so a browser test can "pay" (``#pay`` button), cancel a subscription in the
portal, or pay an open invoice. Element ids are stable for tests: ``#pay``, ``#email``, ``#return``,
``#cancel-<sub id>``, ``#renew-<sub id>``, ``#pay-invoice``.
"""

from __future__ import annotations

from html import escape

from stripe_fake.catalog import TIMES, money_text
from stripe_fake.state import JSON, State

STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.4rem} table{width:100%;border-collapse:collapse;margin:1rem 0}
td{padding:.4rem 0;border-bottom:1px solid #e3e8ee} td.amount{text-align:right}
button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.7rem 1.4rem;font-size:1rem}
input{padding:.5rem;font-size:1rem;width:100%;box-sizing:border-box;margin:.3rem 0 1rem}
.muted{color:#697386;font-size:.9rem} .error{color:#df1b41}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
        f"<body><p class='muted'>Fake Stripe (test mode)</p>{body}</body></html>"
    )


def checkout_page(session: JSON, line_items: list[JSON], error: str | None = None) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(item['description']))} {TIMES} {item['quantity']}</td>"
        f"<td class='amount'>{escape(money_text(item['amount_total'], item['currency']))}</td></tr>"
        for item in line_items
    )
    total = escape(money_text(session["amount_total"], session["currency"]))
    if session["status"] != "open":
        return _page(
            "Checkout", f"<h1 id='status'>This checkout session is {escape(session['status'])}.</h1>"
        )
    email = escape(session["customer_email"] or (session["customer_details"] or {}).get("email") or "")
    cancel = (
        f"<p><a id='cancel' href='{escape(session['cancel_url'])}'>Cancel and go back</a></p>"
        if session["cancel_url"]
        else ""
    )
    error_html = f"<p class='error'>{escape(error)}</p>" if error else ""
    label = "Subscribe" if session["mode"] == "subscription" else "Pay"
    return _page(
        "Checkout",
        f"<h1>Pay {total}</h1><table>{rows}</table>{error_html}"
        f"<form method='post' action='/checkout/{escape(session['id'])}/pay'>"
        f"<label>Email<input id='email' name='email' type='email' value='{email}'></label>"
        f"<label>Card<input id='card' name='card' value='4242 4242 4242 4242' readonly></label>"
        f"<button id='pay' type='submit'>{label}</button>"
        f"</form>{cancel}",
    )


def portal_page(state: State, portal: JSON) -> str:
    subscriptions = [
        s
        for s in state.all("subscription")
        if s["customer"] == portal["customer"] and s["status"] not in ("canceled", "incomplete_expired")
    ]
    rows = []
    for subscription in subscriptions:
        rendered = state.render(subscription)
        names = ", ".join(
            str((state.find(item["price"]["product"]) or {}).get("name", item["price"]["product"]))
            for item in rendered["items"]["data"]
        )
        sub_id = escape(subscription["id"])
        if subscription["cancel_at_period_end"]:
            action = (
                f"<form method='post' action='/portal/{escape(portal['id'])}/subscriptions/{sub_id}/renew'>"
                f"<button id='renew-{sub_id}'>Renew</button></form>"
            )
            note = "Cancels at the end of the period"
        else:
            action = (
                f"<form method='post' action='/portal/{escape(portal['id'])}/subscriptions/{sub_id}/cancel'>"
                f"<button id='cancel-{sub_id}'>Cancel plan</button></form>"
            )
            note = f"Status: {escape(subscription['status'])}"
        rows.append(
            f"<tr><td>{escape(names)}<br><span class='muted'>{note}</span></td><td>{action}</td></tr>"
        )
    invoices = [i for i in state.all("invoice") if i["customer"] == portal["customer"]][:12]
    invoice_rows = "".join(
        f"<tr><td><a href='/invoice/{escape(i['id'])}'>{escape(i['number'] or i['id'])}</a></td>"
        f"<td>{escape(i['status'])}</td>"
        f"<td class='amount'>{escape(money_text(i['total'], i['currency']))}</td></tr>"
        for i in invoices
    )
    back = (
        f"<p><a id='return' href='{escape(portal['return_url'])}'>Return</a></p>"
        if portal["return_url"]
        else ""
    )
    return _page(
        "Billing",
        f"<h1>Billing</h1><h2>Plans</h2><table>{''.join(rows) or '<tr><td>No plan</td></tr>'}</table>"
        f"<h2>Invoices</h2><table>{invoice_rows}</table>{back}",
    )


def invoice_page(invoice: JSON, error: str | None = None) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(line['description']))}</td>"
        f"<td class='amount'>{escape(money_text(line['amount'], line['currency']))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    pay = ""
    remaining = money_text(invoice["amount_remaining"], invoice["currency"])
    total = escape(money_text(invoice["total"], invoice["currency"]))
    if invoice["status"] == "open":
        pay = (
            f"<form method='post' action='/invoice/{escape(invoice['id'])}/pay'>"
            f"<button id='pay-invoice'>Pay {escape(remaining)}"
            f"</button></form>"
        )
    error_html = f"<p class='error'>{escape(error)}</p>" if error else ""
    return _page(
        "Invoice",
        f"<h1>Invoice {escape(invoice['number'] or invoice['id'])}</h1>"
        f"<p id='status'>{escape(invoice['status'])}</p><table>{rows}"
        f"<tr><td><b>Total</b></td><td class='amount'><b>{total}"
        f"</b></td></tr></table>{error_html}{pay}",
    )


def receipt_page(charge: JSON) -> str:
    return _page(
        "Receipt",
        f"<h1>Receipt</h1><p>{escape(money_text(charge['amount'], charge['currency']))} paid by card ending "
        f"4242.</p><p class='muted'>{escape(charge['id'])}</p>",
    )


def invoice_pdf(invoice: JSON) -> bytes:
    """A one-page PDF naming the invoice and its total (enough for a download link to work)."""
    text = (
        f"Invoice {invoice['number'] or invoice['id']} - {money_text(invoice['total'], invoice['currency'])}"
    )
    text = text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(")
    text = text.replace(")", "\\)")
    stream = f"BT /F1 16 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
