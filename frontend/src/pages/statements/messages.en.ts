/**
 * English strings of statements and self-billing (the affiliate's wallet page, the brand
 * admin's setting), merged into the app's catalog (i18n/en.ts spreads them). Every key here
 * must exist in messages.fr.ts too.
 */
export const statementsEn = {
  "statements.title": "Monthly statements",
  "statements.hint": "One statement per month and currency: opening balance, commissions by program, reversals, withdrawals paid and closing balance. The balance is what you earned and were not paid yet (pending, available and reserved).",
  "statements.empty": "No statement yet",
  "statements.emptyHint": "Your first statement arrives on the 1st of the month after your first commission.",
  "statements.period": "Month",
  "statements.opening": "Opening balance",
  "statements.closing": "Closing balance",
  "statements.pdf": "PDF",
  "statements.csv": "CSV",
  "statements.download": "Download {format} of {period}",
  "statements.linkMissing": "The file is being prepared: try again in a moment.",
  "statements.invoicesTitle": "Self-billing invoices",
  "statements.invoiceNumber": "Number",
  "statements.invoiceTotal": "Total",
  "statements.invoiceVat": "VAT",
  "statements.vatNotApplicable": "Not applicable",
  "statements.settingsTitle": "Affiliate statements and self-billing",
  "statements.settingsHint": "Statements are generated on the 1st of each month and emailed to affiliates. With self-billing, the brand issues an invoice on behalf of each business affiliate for every paid withdrawal.",
  "statements.selfBillingEnabled": "Issue self-billing invoices for business affiliates",
  "statements.selfBillingVatRate": "VAT rate of VAT-registered affiliates",
  "statements.selfBillingVatRateHint": "Included in the amount paid; affiliates not registered for VAT get a “VAT not applicable” mention.",
  "error.INVALID_PERIOD": "Give a month that is over, as YYYY-MM.",
  "error.INVALID_RATE": "Give a rate between 0 and 100 %.",
} as const;
