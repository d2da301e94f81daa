import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function AccuracyPage() {
  return (
    <div>
      <PageHeader title="AccuracyPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
