import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function DfuPage() {
  return (
    <div>
      <PageHeader title="DfuPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
