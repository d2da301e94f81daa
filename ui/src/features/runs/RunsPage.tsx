import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function RunsPage() {
  return (
    <div>
      <PageHeader title="RunsPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
