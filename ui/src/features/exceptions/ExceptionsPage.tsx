import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function ExceptionsPage() {
  return (
    <div>
      <PageHeader title="ExceptionsPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
