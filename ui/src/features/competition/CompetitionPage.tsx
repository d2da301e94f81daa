import { PageHeader } from "../../components/Field";
import { Empty } from "../../components/Status";

export default function CompetitionPage() {
  return (
    <div>
      <PageHeader title="CompetitionPage" />
      <Empty>This page is waiting for its API endpoints.</Empty>
    </div>
  );
}
