import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function ClustersPage() {
  return (
    <div>
      <PageHeader title="ClustersPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
