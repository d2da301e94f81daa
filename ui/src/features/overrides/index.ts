export { OverridesPage as default } from "./OverridesPage";
