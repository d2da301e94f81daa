import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function OverviewPage() {
  return (
    <div>
      <PageHeader title="OverviewPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
