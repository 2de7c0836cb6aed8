/**
 * The brand admin's review queues (withdrawals, fraud cases): the mutation errors above the list, then a
 * table of one row per item, or an empty state. The table is captioned (visually hidden) and its headers
 * are column headers; each cell carries its column's label for the stacked layout of small screens. A row
 * may open a detail row spanning the whole table below it.
 */
import { Fragment, type ReactNode } from "react";

import type { UserError } from "../api/errors";
import { Empty } from "./states";

export interface QueueColumn<Row> {
  /** The column header, also each cell's `data-label`. */
  label: string;
  cell: (row: Row) => ReactNode;
  /** Right-aligned figures. */
  numeric?: boolean;
  /** The row's buttons. */
  actions?: boolean;
}

export interface QueueTableProps<Row extends { id: string }> {
  caption: string;
  columns: QueueColumn<Row>[];
  rows: Row[];
  empty: { title: string; hint?: ReactNode };
  /** What follows a row in a row of its own (its details, when opened), or null. */
  detail?: (row: Row) => ReactNode;
  testId?: string;
  rowTestId?: string;
}

function cellClass<Row>(column: QueueColumn<Row>): string | undefined {
  return column.numeric ? "numeric" : column.actions ? "actions" : undefined;
}

export function QueueTable<Row extends { id: string }>({ caption, columns, rows, empty, detail, testId, rowTestId }: QueueTableProps<Row>) {
  if (rows.length === 0) return <Empty title={empty.title}>{empty.hint}</Empty>;
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className="table table-stack" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={index} scope="col" className={column.numeric ? "numeric" : undefined}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const more = detail?.(row);
            return (
              <Fragment key={row.id}>
                <tr data-testid={rowTestId} data-id={row.id}>
                  {columns.map((column, index) => (
                    <td key={index} data-label={column.label} className={cellClass(column)}>
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>
                {more ? (
                  <tr>
                    <td colSpan={columns.length}>{more}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The errors of the queue's last action (those not tied to a form field), announced as an alert. */
export function QueueErrors({ errors }: { errors: UserError[] }) {
  if (errors.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      {errors.map((error, index) => (
        <p key={index}>{error.message}</p>
      ))}
    </div>
  );
}
