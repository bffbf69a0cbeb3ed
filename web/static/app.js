// Starts the GOV.UK and MoJ Frontend components on the page. Every page
// works without this file: it only adds behaviour.
import { initAll as initGovuk } from '/assets/govuk-frontend.min.js'
import { initAll as initMoj } from '/assets/moj-frontend.min.js'

initGovuk()
initMoj()
