import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function DfuSearchPage() {
  return (
    <div>
      <PageHeader title="DfuSearchPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
