/** The platform's audit log, for operators on the root domain. */
import AuditLog from "./AuditLog";

export default function OperatorAuditLog() {
  return <AuditLog operator />;
}
