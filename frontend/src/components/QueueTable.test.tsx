import { fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { QueueErrors, QueueTable, type QueueColumn } from "./QueueTable";

interface Row {
  id: string;
  email: string;
  amount: string;
}

const ROWS: Row[] = [
  { id: "7", email: "ada@example.com", amount: "40.00 EUR" },
  { id: "9", email: "bob@example.com", amount: "12.50 EUR" },
];

function Queue({ rows = ROWS }: { rows?: Row[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const columns: QueueColumn<Row>[] = [
    { label: "Affiliate", cell: (row) => row.email },
    { label: "Amount", numeric: true, cell: (row) => row.amount },
    {
      label: "Actions",
      actions: true,
      cell: (row) => (
        <button type="button" onClick={() => setOpen(open === row.id ? null : row.id)}>
          Details of {row.email}
        </button>
      ),
    },
  ];
  return (
    <QueueTable
      caption="Withdrawals to review"
      columns={columns}
      rows={rows}
      empty={{ title: "Nothing to review", hint: "New requests appear here." }}
      detail={(row) => (open === row.id ? <p>Requested from 10.0.0.{row.id}</p> : null)}
      testId="queue"
      rowTestId="queue-row"
    />
  );
}

describe("QueueTable", () => {
  it("is a captioned table of column headers, one row per item, cells labelled for the stacked layout", () => {
    render(<Queue />);

    const table = screen.getByRole("table", { name: "Withdrawals to review" });
    const headers = within(table).getAllByRole("columnheader");
    expect(headers.map((header) => [header.textContent, header.getAttribute("scope")])).toEqual([
      ["Affiliate", "col"],
      ["Amount", "col"],
      ["Actions", "col"],
    ]);
    expect(headers[1].className).toBe("numeric");
    const rows = screen.getAllByTestId("queue-row");
    expect(rows.map((row) => row.getAttribute("data-id"))).toEqual(["7", "9"]);
    const cells = within(rows[0]).getAllByRole("cell");
    expect(cells.map((cell) => [cell.getAttribute("data-label"), cell.className, cell.textContent])).toEqual([
      ["Affiliate", "", "ada@example.com"],
      ["Amount", "numeric", "40.00 EUR"],
      ["Actions", "actions", "Details of ada@example.com"],
    ]);
  });

  it("opens a detail row spanning the table under its own row only", () => {
    render(<Queue />);
    expect(screen.queryByText(/Requested from/)).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Details of bob@example.com" }));

    const detail = screen.getByText("Requested from 10.0.0.9").closest("td")!;
    expect(detail.getAttribute("colspan")).toBe("3");
    const bodyRows = within(screen.getByRole("table")).getAllByRole("row").slice(1);
    expect(bodyRows.map((row) => row.getAttribute("data-id"))).toEqual(["7", "9", null]);
    expect(screen.queryByText("Requested from 10.0.0.7")).toBeNull();
  });

  it("shows the empty state instead of an empty table", () => {
    render(<Queue rows={[]} />);
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText("Nothing to review")).toBeTruthy();
    expect(screen.getByText("New requests appear here.")).toBeTruthy();
  });
});

describe("QueueErrors", () => {
  it("announces the errors as an alert, and nothing when there are none", () => {
    const { rerender } = render(<QueueErrors errors={[]} />);
    expect(screen.queryByRole("alert")).toBeNull();

    rerender(<QueueErrors errors={[{ field: "id", code: "KYC_REQUIRED", message: "Identity not verified." }]} />);
    expect(screen.getByRole("alert").textContent).toBe("Identity not verified.");
  });
});
